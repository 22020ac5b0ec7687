"""Lookups the browser views of every app share; nothing here imports a view."""

from django.shortcuts import get_object_or_404

from initiatives.models import Initiative


def get_initiative_for_user(request, slug) -> Initiative:
    """Unknown and invisible initiatives are both a 404, so slugs do not leak."""
    queryset = Initiative.objects.visible_to(request.user).select_related("charter__owner", "created_by")
    return get_object_or_404(queryset, slug=slug)
