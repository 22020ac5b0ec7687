from django import template
from django.conf import settings

from initiatives.models import Role
from initiatives.people import person_name

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int, param: str = "") -> str:
    """The query string of another page of a list, every other parameter kept (filters, and the page of
    another list on the same page), so paging one list never resets the rest."""
    query = context.request.GET.copy()
    query[param or "page"] = number
    return f"?{query.urlencode()}"


@register.filter
def person(user) -> str:
    """A user's full name, else their username; a dash when nobody."""
    return person_name(user or None)


@register.filter
def role_label(value: str) -> str:
    """A role's name as people say it ("Legal / compliance"), from its API value ("legal-compliance")."""
    return Role(value).label if value in Role.values else value


@register.filter
def number(value, places: int = 3) -> str:
    """A number without padding zeros: 9.6 stays 9.6, 12.0 becomes 12, 1234.5678 becomes 1,234.568."""
    if value is None or value == "":
        return "—"
    text = f"{float(value):,.{int(places)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def money(value, places: int = 0) -> str:
    """An amount rounded to `places` decimals (padding zeros kept, as money is read) with the currency
    (VALUE_CURRENCY): 5757.599999 becomes "EUR 5,758"; a dash when unknown."""
    if value is None or value == "":
        return "—"
    return f"{settings.VALUE_CURRENCY} {float(value):,.{int(places)}f}"
