"""Queue rows as HTML, written in Python rather than template tags.

A queue page shows 50 rows of a dozen cells each, plus their SLA timers; through template
nodes that was most of the page's time, and through ``format_html`` (a SafeString and a
``conditional_escape`` per value) still a third of it. Each value that comes from data is
escaped with ``html.escape``, which is what Django's ``escape`` runs; the markup is the one
the table's CSS, its htmx refresh and the tests expect.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from html import escape

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince

from cases.choices import Priority, Status, Tier

SUBJECT_CHARS = 60
# get_<field>_display() without its per-call hashing of the choices.
_STATUS = dict(Status.choices)
_PRIORITY = dict(Priority.choices)
_TIER = dict(Tier.choices)


def _e(value) -> str:
    return escape(str(value))


def _timers(case, now: datetime) -> str:
    from cases.templatetags.desk import timer_view

    timers = getattr(case, "running_timers", None) or []
    if not timers:
        return '<span class="muted">—</span>'
    parts = []
    for timer in timers:
        view = timer_view(timer, now)
        due = timezone.localtime(timer.due_at).strftime("%a %-d %b, %H:%M")
        parts.append(
            f'<span class="sla sla-{_e(view.state)}" title="{_e(view.state_label)} · due {_e(due)}">'
            f'<span class="sla-sign" aria-hidden="true">{_e(view.sign)}</span> {_e(view.text)}</span>'
        )
    return "".join(parts)


def _subject(subject: str) -> str:
    # Truncator.chars(60) returns the NFC-normalised text unchanged when it is this short.
    text = unicodedata.normalize("NFC", subject)
    return text if len(text) <= SUBJECT_CHARS else Truncator(subject).chars(SUBJECT_CHARS)


def render_rows(cases, *, now: datetime, show_bulk: bool) -> SafeString:
    detail = reverse("cases:detail", args=["REF"])
    # What formats.localize() looks up for every datetime, once per page.
    received_format = formats.get_format("DATETIME_FORMAT")
    rows = []
    for case in cases:
        received = timezone.localtime(case.received_at)
        updated = timezone.localtime(case.updated_at)
        customer = case.customer
        reference = _e(case.reference)
        received_title = dateformat.format(received, received_format)
        checkbox = (
            f'<td><input type="checkbox" name="cases" value="{_e(case.pk)}" aria-label="Select {reference}"></td>'
            if show_bulk
            else ""
        )
        assignee = _e(case.assignee) if case.assignee_id else '<span class="muted">Unassigned</span>'
        rows.append(
            f"<tr>{checkbox}"
            f'<td class="ref"><a href="{_e(detail.replace("REF", case.reference))}">{reference}</a></td>'
            f"<td>{_e(_subject(case.subject))}</td>"
            f'<td>{_e(customer.full_name)} <small class="muted">{_e(customer.jurisdiction)} · '
            f"{_e(_TIER.get(customer.tier, customer.tier))}</small></td>"
            f'<td><span class="badge status-{_e(case.status)}">{_e(_STATUS.get(case.status, case.status))}</span></td>'
            f'<td><span class="badge prio-{_e(case.priority)}">'
            f"{_e(_PRIORITY.get(case.priority, case.priority))}</span></td>"
            f'<td class="sla-cell">{_timers(case, now)}</td>'
            f"<td>{_e(case.category.name)}</td><td>{_e(case.team.name)}</td><td>{assignee}</td>"
            f'<td><time datetime="{_e(received.isoformat())}" title="{_e(received_title)}">'
            f"{_e(received.strftime('%b %-d, %H:%M'))}</time></td>"
            f'<td><time datetime="{_e(updated.isoformat())}">{_e(timesince(case.updated_at, now))} ago</time></td>'
            "</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value from data was escaped above
