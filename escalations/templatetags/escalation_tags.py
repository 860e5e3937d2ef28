from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration_minutes(value) -> str:
    """Business minutes as a short span: 45m, 3h 20m, 2d 4h (a business day counts as 24h here)."""
    minutes = abs(int(value or 0))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"
