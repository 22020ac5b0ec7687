"""The register's one FilterSet: the Shadow AI page and GET /api/v1/shadow-ai/ filter items through it."""

import django_filters

from governance.models import DataSource, ShadowAiUse


class ShadowAiFilter(django_filters.FilterSet):
    """`open` keeps the items still to act on (untriaged, or waiting for a sanctioned path). `team` matches
    whatever its case. The API answers an invalid value with a 400; the page reports it beside its filter."""

    status = django_filters.ChoiceFilter(choices=ShadowAiUse.Status.choices)
    classification = django_filters.ChoiceFilter(choices=DataSource.Classification.choices)
    found_via = django_filters.ChoiceFilter(choices=ShadowAiUse.FoundVia.choices)
    team = django_filters.CharFilter(field_name="team", lookup_expr="iexact", label="Team (any case)")
    open = django_filters.BooleanFilter(method="filter_open", label="Only open items (untriaged or needing a path)")

    class Meta:
        model = ShadowAiUse
        fields = ["status", "classification", "found_via", "team", "open"]

    def filter_open(self, queryset, name, value):
        statuses = ShadowAiUse.OPEN_STATUSES
        return queryset.filter(status__in=statuses) if value else queryset.exclude(status__in=statuses)
