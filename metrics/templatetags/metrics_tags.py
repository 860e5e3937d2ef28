from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """Minutes as people read them on a dashboard: "45m", "5h 10m", "3d 4h"."""
    if minutes is None:
        return "—"
    minutes = int(round(float(minutes)))
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {rest}m" if rest else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


@register.filter
def hour_label(how: int) -> str:
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    day, hour = divmod(int(how), 24)
    return f"{days[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (drill-down and export links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    return query.urlencode()
