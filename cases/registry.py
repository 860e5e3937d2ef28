"""Questions ``cases`` must ask of higher apps, answered by hooks those apps register.

``cases`` may not import ``escalations`` or ``compliance``; instead they add functions here in
their ``AppConfig.ready()``. Every hook point is listed in this module so the flow stays visible:

- ``close_checks``: ``check(case, to_status) -> str | None``; a returned message blocks
  resolving/closing (open escalation, unsigned flag, open regulatory obligation).
- ``after_status_change``: ``hook(case, from_status, to_status, actor)``, run inside the
  transaction, e.g. to stop a clock that the new status satisfies.
- ``sla_breach_handlers``: ``handler(case, timer)``, called by the SLA sweep for each breached
  timer whose policy version says ``breach_escalate``, inside the sweep's batch transaction
  with the case row locked. Each call runs in its own savepoint: an exception is logged and
  recorded on the batch's audit row, and undoes only that handler's writes, never the breach.
- ``evidence_added``: ``hook(case, event, actor)``, run inside the transaction after a public
  reply or a customer message joins the timeline: the case's evidence moved, so a compliance
  sign-off taken on the old evidence must not stand.
- ``visibility_grants``: ``grant(user) -> Q | None``; extra cases a worker may read beyond
  their own teams' (e.g. cases escalated to their team and not yet accepted). ORed into
  ``cases.access.restrict_cases_to``, so pages, API and exports all follow it.
- ``case_panels``: ``panel(user, case, editable) -> dict | None``; a side panel for the case
  page, ``{"template": "<app>/_x.html", ...context}``. One query per panel at most, so the
  case page's query count stays fixed.
- ``routing_eligibility``: ``check(cases, user_ids) -> {case_id: {user_id: [reason, ...]}}``,
  where ``cases`` is a list of ``(case, CaseFacts)``; a reason ("not trained: Scam SOP v4")
  keeps that person from being given that case by routing or "Get next case", and shows in
  the routing explanation. Called once per routing chunk: one query for the whole chunk,
  never one per person or case (knowledge: SOP acknowledgements a flag kind requires).
- ``domain_events``: ``listener(event, case, data)``, told through :func:`emit` inside the
  transaction of the change when something other systems care about happens: ``case.created``,
  ``case.status_changed``, ``escalation.raised/accepted/returned``, ``sla.warning/breached``,
  ``flag.raised/signed_off``, ``obligation.due/breached``. A listener writes in the same
  transaction and defers any I/O with ``transaction.on_commit`` (webhooks: a delivery row, then
  its task). ``data`` holds the event's facts; listeners decide what of it may leave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

close_checks: list[Callable[[Any, str], str | None]] = []
after_status_change: list[Callable[[Any, str, str, Any], None]] = []
sla_breach_handlers: list[Callable[[Any, Any], None]] = []
evidence_added: list[Callable[[Any, Any, Any], None]] = []
visibility_grants: list[Callable[[Any], Any]] = []
case_panels: list[Callable[[Any, Any, bool], dict | None]] = []
routing_eligibility: list[Callable[[list, list[int]], dict[int, dict[int, list[str]]]]] = []
domain_events: list[Callable[[str, Any, dict], None]] = []


def emit(event: str, *, case: Any, data: dict | None = None) -> None:
    """Tell every ``domain_events`` listener that ``event`` happened to ``case``."""
    for listener in domain_events:
        listener(event, case, data or {})
