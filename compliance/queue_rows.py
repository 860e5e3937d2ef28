"""The review queue's rows as HTML, written in Python rather than template tags.

Fifty rows of seven cells with two dates each cost most of the page's time through template
nodes and date filters (the same finding as ``cases.queue_rows``). Every value is escaped by
format_html; the markup is what the table's CSS and the tests expect.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_NONE = '<span class="muted">—</span>'


def _time(value, fmt: str) -> SafeString:
    if value is None:
        return SafeString(_NONE)
    local = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), local.strftime(fmt))


def render_rows(flags) -> SafeString:
    review = reverse("compliance:review", args=[0])[: -len("0/")]
    return format_html_join(
        "\n",
        '<tr><td class="ref"><a href="{}{}/">{}</a></td><td>{}</td>'
        '<td>{} <small class="muted">{}</small></td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td></tr>',
        (
            (
                review,
                flag.pk,
                flag.case.reference,
                flag.get_kind_display(),
                flag.case.customer.full_name,
                flag.case.customer.jurisdiction,
                flag.raised_by,
                _time(flag.submitted_at, "%b %-d, %H:%M"),
                flag.decisions_standing,
                flag.required_approvals,
                _time(flag.next_due_at, "%a %-d %b, %H:%M"),
            )  # fmt: skip
            for flag in flags
        ),
    )


def render_deadlines(obligations, *, missed: bool) -> SafeString:
    """The home page's list of missed or nearly due obligations."""
    detail = reverse("cases:detail", args=["REF"])[: -len("REF/")]
    if missed:
        template = ('<li><a href="{}{}/">{}</a> · {} ({}) · was due by the end of {} ({}) '
                    '<span class="badge sla-breached">missed</span></li>')  # fmt: skip
    else:
        template = ('<li><a href="{}{}/">{}</a> · {} ({}) · due by the end of {} ({}) '
                    '<span class="badge sla-warning">due soon</span></li>')  # fmt: skip
    return format_html_join(
        "",
        template,
        (
            (
                detail,
                o.case.reference,
                o.case.reference,
                o.rule_name,
                o.citation,
                o.due_day.strftime("%a %-d %b %Y"),
                o.jurisdiction,
            )  # fmt: skip
            for o in obligations
        ),
    )
