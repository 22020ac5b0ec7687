"""Lookups the browser views of every app share; nothing here imports a view."""

from django.shortcuts import get_object_or_404

from initiatives.models import Initiative


def get_initiative_for_user(request, slug) -> Initiative:
    """Unknown and invisible initiatives are both a 404, so slugs do not leak."""
    queryset = Initiative.objects.visible_to(request.user).select_related("charter__owner", "created_by")
    return get_object_or_404(queryset, slug=slug)


def tab_url(initiative: Initiative, tab: str) -> str:
    """The initiative page opened at one of its tabs (initiatives.tabs): where a form on that tab returns to."""
    return f"{initiative.get_absolute_url()}?tab={tab}"
