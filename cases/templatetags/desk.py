from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template

from cases import masking
from cases.choices import SlaMetric, SlaState, Status
from cases.models import SlaTimer
from cases.sla import sla_remaining_minutes

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
def sort_link(context, key: str, label: str, first: str = "desc") -> str:
    """A column header that toggles between ascending and descending on ``key``.

    The first click sorts descending, or ascending with ``first="asc"`` (the SLA column's
    first click shows what breaches soonest).
    """
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
        query["sort"], arrow = (key if first == "asc" else f"-{key}"), ""
    if "f" not in query:
        query.setlist(
            "status", request.GET.getlist("status") or ["new", "open", "pending_customer", "pending_internal"]
        )
        query["f"] = "1"
    return format_html('<a href="?{}">{}{}</a>', query.urlencode(), label, arrow)


# --- service SLA --------------------------------------------------------------------------------

# A sign besides the colour, so a state reads the same to someone who cannot tell red from green.
_SLA_SIGNS = {
    SlaState.OK: "●",
    SlaState.WARNING: "▲",
    SlaState.BREACHED: "✕",
    SlaState.PAUSED: "‖",
    SlaState.MET: "✓",
    SlaState.STOPPED: "–",
}


@register.filter
def minutes_human(minutes: int | None) -> str:
    """Business minutes as people say them: "45m", "1h 20m", "3h", "26h"."""
    if minutes is None:
        return "—"
    minutes = abs(int(minutes))
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours >= 10 or rest == 0:
        return f"{hours}h"
    return f"{hours}h {rest}m"


@dataclass(frozen=True)
class TimerView:
    """How one timer reads on screen: its state (the CSS class), a sign and a short phrase."""

    state: str
    state_label: str
    sign: str
    metric: str
    phrase: str
    remaining: int | None

    @property
    def text(self) -> str:
        return f"{self.metric} {self.phrase}"


def timer_view(timer: SlaTimer, now: datetime) -> TimerView:
    state = SlaState(timer.state(now))
    metric = SlaMetric(timer.metric).label
    remaining = sla_remaining_minutes(timer, now) if state not in (SlaState.MET, SlaState.STOPPED) else None
    if state == SlaState.PAUSED:
        phrase = "paused" + (", breached" if timer.breached_at else "")
    elif state == SlaState.MET:
        phrase = "met"
    elif state == SlaState.STOPPED:
        phrase = "stopped"
    elif state == SlaState.BREACHED:
        # Overdue time counts open minutes only: a breach at Friday's close reads "overdue"
        # all weekend rather than a growing figure nobody could have worked.
        phrase = f"{minutes_human(remaining)} overdue" if remaining is not None and remaining < 0 else "overdue"
    else:
        phrase = f"{minutes_human(remaining)} left"
    return TimerView(state.value, state.label, _SLA_SIGNS[state], metric, phrase, remaining)


@register.simple_tag
def sla_timer(timer: SlaTimer, now: datetime) -> TimerView:
    """``{% sla_timer timer now as view %}``: reads only the timer and its pinned calendar."""
    return timer_view(timer, now)


@register.filter
def metric_label(value: str) -> str:
    try:
        return SlaMetric(value).label
    except ValueError:
        return value


@register.filter
def iso_datetime(value: str) -> datetime | None:
    """An ISO 8601 instant stored in event data, as a datetime the ``date`` filter can localise."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def field_changes(data: dict) -> list[tuple[str, object, object]]:
    """``(field, from, to)`` for each changed field of a "properties changed" event; other
    facts stored beside them (such as why the change was made) are not changes."""
    return [
        (field, change.get("from"), change.get("to"))
        for field, change in (data or {}).items()
        if isinstance(change, dict) and ("from" in change or "to" in change)
    ]


@register.simple_tag
def timeline_event(event, customer_name: str):
    """One timeline entry (see cases.timeline for why it is rendered in Python)."""
    from cases.timeline import render_event

    return render_event(event, customer_name)


@register.simple_tag
def timeline(events, customer_name: str):
    """Every timeline entry of a case (see cases.timeline for why it is rendered in Python)."""
    from cases.timeline import render_timeline

    return render_timeline(events, customer_name)


@register.simple_tag
def queue_rows(cases, now, show_bulk):
    """The queue's rows (see cases.queue_rows for why they are rendered in Python)."""
    from cases.queue_rows import render_rows

    return render_rows(cases, now=now, show_bulk=show_bulk)
