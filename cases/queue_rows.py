"""Queue rows as HTML, written in Python rather than template tags.

A queue page shows 50 rows of a dozen cells each, plus their SLA timers; through template
nodes that was most of the page's time. The markup is the one the table's CSS, its htmx
refresh and the tests expect; every value is escaped by format_html.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince


def _timers(case, now: datetime) -> SafeString:
    from cases.templatetags.desk import timer_view

    timers = getattr(case, "running_timers", None) or []
    if not timers:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 - constant markup
    parts = []
    for timer in timers:
        view = timer_view(timer, now)
        due = timezone.localtime(timer.due_at).strftime("%a %-d %b, %H:%M")
        parts.append((view.state, view.state_label, due, view.sign, view.text))
    return format_html_join(
        "",
        '<span class="sla sla-{}" title="{} · due {}"><span class="sla-sign" aria-hidden="true">{}</span> {}</span>',
        parts,
    )


def render_rows(cases, *, now: datetime, show_bulk: bool) -> SafeString:
    detail = reverse("cases:detail", args=["REF"])
    rows = []
    for case in cases:
        received = timezone.localtime(case.received_at)
        updated = timezone.localtime(case.updated_at)
        customer = case.customer
        checkbox = (
            format_html(
                '<td><input type="checkbox" name="cases" value="{}" aria-label="Select {}"></td>',
                case.pk,
                case.reference,
            )
            if show_bulk
            else ""
        )
        assignee = (
            format_html("{}", case.assignee) if case.assignee_id else mark_safe('<span class="muted">Unassigned</span>')  # noqa: S308
        )
        rows.append(
            format_html(
                "<tr>{}"
                '<td class="ref"><a href="{}">{}</a></td>'
                "<td>{}</td>"
                '<td>{} <small class="muted">{} · {}</small></td>'
                '<td><span class="badge status-{}">{}</span></td>'
                '<td><span class="badge prio-{}">{}</span></td>'
                '<td class="sla-cell">{}</td>'
                "<td>{}</td><td>{}</td><td>{}</td>"
                '<td><time datetime="{}" title="{}">{}</time></td>'
                '<td><time datetime="{}">{} ago</time></td>'
                "</tr>",
                checkbox,
                detail.replace("REF", case.reference),
                case.reference,
                Truncator(case.subject).chars(60),
                customer.full_name,
                customer.jurisdiction,
                customer.get_tier_display(),
                case.status,
                case.get_status_display(),
                case.priority,
                case.get_priority_display(),
                _timers(case, now),
                case.category.name,
                case.team.name,
                assignee,
                received.isoformat(),
                formats.localize(received),
                received.strftime("%b %-d, %H:%M"),
                updated.isoformat(),
                timesince(case.updated_at, now),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - each row was built with format_html
