"""The library's one FilterSet: the library page and GET /api/v1/assets/ filter assets through it."""

import django_filters
from django.db.models import Q
from django.utils.text import slugify

from governance.models import Asset


class AssetFilter(django_filters.FilterSet):
    """What each filter means, wherever it is used.

    `owner` is a username or a team name and finds the assets that person or that team owns: an asset
    has an owner that is a team or a user, and the API already names both that way (`owner`,
    `owner_team`), so a client or a link needs no id and no `team:`/`user:` prefix. Team names match
    whatever their case, usernames exactly. `tag` is slugified as tags are stored, so `Support` finds
    `support`. `q` runs last, so on PostgreSQL its rank orders what the other filters kept.

    The API answers an invalid value with a 400; the page reports it next to its filter and ignores it.
    """

    type = django_filters.ChoiceFilter(choices=Asset.Type.choices)
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    owner = django_filters.CharFilter(method="filter_owner", label="Owner (username) or owning team")
    label = django_filters.CharFilter(field_name="labels__name", label="Has this label, e.g. recommended")
    q = django_filters.CharFilter(
        method="filter_search", label="Words, or their starts, in the name, type, tags or description"
    )

    class Meta:
        model = Asset
        fields = ["type", "tag", "owner", "label", "q"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__name=slugify(value))  # tags are stored slugified

    def filter_owner(self, queryset, name, value):
        return queryset.filter(Q(owner__username=value) | Q(owner_team__iexact=value))

    def filter_search(self, queryset, name, value):
        return queryset.search(value)  # ranked best first on PostgreSQL
