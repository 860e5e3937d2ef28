from __future__ import annotations

from django import template

from cases import masking
from cases.choices import Status

register = template.Library()


@register.filter
def masked_email(value: str) -> str:
    return masking.mask_email(value)


@register.filter
def masked_tail(value: str) -> str:
    return masking.mask_tail(value)


@register.filter
def birth_year(value) -> str:
    return masking.mask_date_of_birth(value)


@register.filter
def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, label: str) -> str:
    """A column header that toggles between ascending and descending on ``key``."""
    from django.utils.html import format_html

    current = context.get("sort") or "-received"
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    if current == key:
        query["sort"], arrow = f"-{key}", " ▲"
    elif current == f"-{key}":
        query["sort"], arrow = key, " ▼"
    else:
        query["sort"], arrow = f"-{key}", ""
    if "f" not in query:
        query.setlist(
            "status", request.GET.getlist("status") or ["new", "open", "pending_customer", "pending_internal"]
        )
        query["f"] = "1"
    return format_html('<a href="?{}">{}{}</a>', query.urlencode(), label, arrow)
