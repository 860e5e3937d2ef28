"""The restricted inbox (FIU): referrals for suspicion reporting, and keeping them secret.

No tipping off (31 U.S.C. 5318(g)(2); AML/CTF Act s 123): once a case is referred, everyone
outside the FIU sees only that it is "with a specialist team", with an approved script for the
customer. The referral, its reason, the FIU's notes, the decision and the filing record live
only in :class:`~compliance.models.Referral` and :class:`~compliance.models.ReferralNote`,
which no other page, list, export or notification reads; nothing is written to the case
timeline. FIU officers work referrals; auditors may read them; every read of a referral is
itself an audit row, and those rows are shown only to the FIU and auditors.

The reporting clock comes from the rule table (compliance.clocks): a FinCEN SAR is due 30
calendar days after initial detection (US); an AUSTRAC SMR 3 business days after the suspicion
is formed, or 24 hours for terrorism financing (AU). Filing the report meets it.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from audit.services import audit_record
from cases.access import can_edit_case
from cases.models import Case
from compliance.clocks import obligation_due, rules_for
from compliance.errors import FlagError
from compliance.models import Referral, ReferralNote, ReferralStatus
from people.choices import Role
from people.models import User
from people.notifications import Message, notify_many
from people.roles import role_of

# Who works referrals, and who may read them (auditors read everything, change nothing).
FIU_ROLES = frozenset({Role.FIU})
RESTRICTED_READERS = frozenset({Role.FIU, Role.AUDITOR})
# Who may send a case into the inbox besides the people working it.
REFERRERS = frozenset({Role.COMPLIANCE})

NEUTRAL_STATE = "With a specialist team"
# A decision reason that sends the case to the FIU; shown to everyone else as the neutral state.
REFER_REASON = "refer_to_fiu"
# What anyone may tell the customer while a referral is open; it must never hint at suspicion.
CUSTOMER_SCRIPT = (
    "Thank you for your patience. Your case is being reviewed by one of our specialist teams. "
    "We are not able to share more detail while that review is under way, and we will contact "
    "you as soon as there is an update. There is nothing further you need to do right now."
)
# The triggers of the reporting rules, per country (see compliance.clocks.RULES).
REPORT_TRIGGERS = {"US": "initial_detection", "AU": "suspicion_formed"}


def can_read_restricted(user) -> bool:
    return role_of(user) in RESTRICTED_READERS


def can_work_restricted(user) -> bool:
    return role_of(user) in FIU_ROLES


def can_refer(user, case: Case) -> bool:
    return can_edit_case(user, case) or role_of(user) in REFERRERS


def open_referral_for(case: Case) -> Referral | None:
    return Referral.objects.filter(case_id=case.pk, status=ReferralStatus.OPEN).first()


def _report_clock(case: Case, *, at: datetime, terrorism_financing: bool) -> dict:
    jurisdiction = case.customer.jurisdiction
    trigger = REPORT_TRIGGERS[jurisdiction.split("-")[0]]
    rules = [rule for rule in rules_for(trigger, jurisdiction, at.date()) if rule.restricted]
    if not rules:
        return {}
    rule = rules[0]
    facts = {"terrorism_financing": terrorism_financing}
    return {
        "report_rule_code": rule.code,
        "report_rule_name": rule.name,
        "report_citation": rule.citation,
        "report_due_at": obligation_due(rule, triggered_at=at, facts=facts, jurisdiction=jurisdiction),
    }


def _snapshot(referral: Referral) -> dict:
    return {
        "case": referral.case.reference,
        "status": referral.status,
        "reason": referral.reason,
        "report_rule": referral.report_rule_code,
        "report_due_at": referral.report_due_at,
        "decided_by": referral.decided_by_id,
        "filed_on": referral.filed_on,
        "filing_reference": referral.filing_reference,
        "version": referral.version,
    }


@transaction.atomic
def referral_create(*, actor: User, case: Case, reason: str, terrorism_financing: bool = False) -> Referral:
    """Refer a case to the FIU. Starts the reporting clock, tells the FIU (and nobody else),
    and writes nothing the case's other readers can see. Raises FlagError: 403 for someone who
    may not refer this case, 400 without a reason, 409 when the case is already referred."""
    case = Case.objects.select_for_update(of=("self",), no_key=True).select_related("customer").get(pk=case.pk)
    if not can_refer(actor, case):
        raise FlagError("Only people working this case, or compliance, can refer it.", status_code=403)
    reason = (reason or "").strip()
    if not reason:
        raise FlagError("Say why the case is referred.", problems={"reason": ["Say why the case is referred."]})
    if open_referral_for(case) is not None:
        raise FlagError("This case is already with the specialist team.", status_code=409)
    now = timezone.now()
    referral = Referral.objects.create(
        case=case, referred_by=actor, referred_at=now, reason=reason, suspicion_formed_at=now,
        terrorism_financing=terrorism_financing,
        **_report_clock(case, at=now, terrorism_financing=terrorism_financing),
    )  # fmt: skip
    audit_record(actor=actor, action="restricted.refer", object_type="referral", object_id=referral.pk,
                 after=_snapshot(referral))  # fmt: skip
    fiu = list(User.objects.filter(role=Role.FIU, is_active=True).values_list("pk", flat=True))
    notify_many(
        [
            Message(
                recipient_ids=fiu,
                kind="fiu_referral",
                title=f"New referral: {case.reference}",
                url=f"/fiu/referrals/{referral.pk}/",
            )
        ],  # fmt: skip
        now=now,
    )
    return referral


def _lock_open(referral: Referral, actor: User) -> Referral:
    if not can_work_restricted(actor):
        raise FlagError("Only the FIU works referrals.", status_code=403)
    referral = Referral.objects.select_for_update(of=("self",)).select_related("case").get(pk=referral.pk)
    if referral.status != ReferralStatus.OPEN:
        raise FlagError(f"This referral is closed ({referral.get_status_display().lower()}).", status_code=409)
    return referral


@transaction.atomic
def referral_add_note(*, actor: User, referral: Referral, body: str) -> ReferralNote:
    body = (body or "").strip()
    if not can_work_restricted(actor):
        raise FlagError("Only the FIU works referrals.", status_code=403)
    if not body:
        raise FlagError("A note cannot be empty.", problems={"body": ["A note cannot be empty."]})
    note = ReferralNote.objects.create(referral=referral, author=actor, body=body, created_at=timezone.now())
    audit_record(actor=actor, action="restricted.note", object_type="referral", object_id=referral.pk,
                 after={"note_id": note.pk})  # fmt: skip
    return note


@transaction.atomic
def referral_decide(
    *,
    actor: User,
    referral: Referral,
    decision: str,
    rationale: str,
    filed_on: date | None = None,
    filing_reference: str = "",
) -> Referral:
    """The FIU's SAR/SMR decision: a report filed (with its date and reference, which meets the
    reporting clock) or no report, each with a rationale. Closes the referral and releases the
    case to its team; the decision stays in the restricted inbox."""
    referral = _lock_open(referral, actor)
    problems: dict[str, list[str]] = {}
    rationale = (rationale or "").strip()
    filing_reference = (filing_reference or "").strip()
    if decision not in (ReferralStatus.REPORTED, ReferralStatus.NO_REPORT):
        problems["decision"] = ["Choose: report filed, or no report."]
    if not rationale:
        problems["rationale"] = ["Record why."]
    if decision == ReferralStatus.REPORTED:
        today = timezone.localdate()
        if filed_on is None:
            problems["filed_on"] = ["Enter the date the report was filed."]
        elif filed_on > today:
            problems["filed_on"] = ["A report cannot be filed in the future."]
        elif filed_on < timezone.localdate(referral.referred_at):
            problems["filed_on"] = ["The report cannot predate the referral."]
        if not filing_reference:
            problems["filing_reference"] = ["Enter the filing reference (BSA ID or AUSTRAC receipt)."]
    elif filed_on or filing_reference:
        problems["filed_on"] = ["No report was filed: leave the filing date and reference empty."]
    if problems:
        raise FlagError("The decision is incomplete.", problems=problems)
    before = _snapshot(referral)
    referral.status = decision
    referral.decided_by = actor
    referral.decided_at = timezone.now()
    referral.decision_rationale = rationale
    referral.filed_on = filed_on if decision == ReferralStatus.REPORTED else None
    referral.filing_reference = filing_reference if decision == ReferralStatus.REPORTED else ""
    referral.version += 1
    referral.save()
    audit_record(actor=actor, action="restricted.decide", object_type="referral", object_id=referral.pk,
                 before=before, after=_snapshot(referral))  # fmt: skip
    return referral


def referral_read(*, actor: User, referral: Referral) -> None:
    """Record that ``actor`` read a referral (its own transaction: a read changes nothing else)."""
    with transaction.atomic():
        audit_record(actor=actor, action="restricted.read", object_type="referral", object_id=referral.pk)


def referral_inbox(*, user, status: str = ReferralStatus.OPEN) -> QuerySet[Referral]:
    """Referrals for the FIU and auditors, nearest reporting deadline first."""
    if not can_read_restricted(user):
        return Referral.objects.none()
    qs = Referral.objects.select_related("case", "case__customer", "referred_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(F("report_due_at").asc(nulls_last=True), "id")


# --- hooks into cases (registered in compliance.apps) ----------------------------------------


def referral_close_check(case, to_status: str) -> str | None:
    """An open referral keeps the case open: the customer gets no outcome while it is pending."""
    if Referral.objects.filter(case_id=case.pk, status=ReferralStatus.OPEN).exists():
        return f"it is {NEUTRAL_STATE.lower()}; it is released when they finish."
    return None


def referral_case_panel(user, case, editable: bool) -> dict | None:
    """The case page's panel: for the FIU, a link to the referral; for everyone else, the
    neutral state and the approved script, or the way to refer the case. One query."""
    referral = open_referral_for(case)
    restricted = can_read_restricted(user)
    if referral is None and not (case.is_open and can_refer(user, case)):
        return None
    return {
        "template": "compliance/_referral_panel.html",
        "referral": referral if restricted else None,
        "neutral": referral is not None and not restricted,
        "state": NEUTRAL_STATE,
        "script": CUSTOMER_SCRIPT,
        "can_refer": referral is None and case.is_open and can_refer(user, case),
    }
