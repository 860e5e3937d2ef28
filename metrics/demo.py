"""Demo data for the dashboards, written after ``seed_demo`` has loaded cases.

The case loader writes cases, timelines and SLA timers; what the dashboard also reads is added
here, deterministically from the same seed: escalation hops (with OLA clocks and returns), a few
referrals to the FIU (restricted: every figure leaves those cases out), regulatory flags with compliance decisions and
obligations (some met late), CSAT surveys (sent an hour after resolution, about a third
answered, scores that follow how fast the case went) with their timeline entries, campaigns
placed on the data's real volume spikes, a lead's handle times, and finally every case's facts.
Bulk writes, as ``seed_demo`` does: this is history that already happened.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from cases.choices import EventKind, Status
from cases.models import Case, CaseEvent, Category
from compliance.models import DecisionReason, FlagDecision, Obligation, Referral, RegulatoryFlag
from escalations.choices import DEFAULT_OLA_MINUTES, TIER_RANK, URGENCY_RANK, EscalationStatus, ReturnOutcome
from escalations.models import Escalation, ReasonCode
from metrics.facts import facts_rebuild
from metrics.models import Campaign, HandleTime, Survey
from people.models import Team, User

ESCALATION_SHARE = 0.12
FIU_SHARE = 0.003
FLAG_SHARE = 0.6
ANSWER_SHARE = 0.32
COMMENT_SHARE = 0.45
BATCH = 20_000
# Category -> (team that takes its escalations, reason code).
ESCALATION_ROUTES = {
    "scam-fraud": ("fraud-scam", "scam_reported"),
    "unauthorized-transfer": ("fraud-scam", "unauthorized_transfer"),
    "kyc": ("cdd-kyc", "id_verification_stuck"),
    "withdrawals": ("operations", "withdrawal_delayed"),
    "deposits": ("operations", "withdrawal_delayed"),
    "account-access": ("fraud-scam", "account_takeover_suspected"),
    "complaint": ("us-leads", "regulator_complaint_threat"),
    "trading": ("product", "product_defect"),
    "card": ("operations", "repeated_contact"),
}
DEFAULT_ROUTE = ("us-leads", "agent_out_of_depth")
FLAG_KINDS = {
    "scam-fraud": "scam_fraud",
    "unauthorized-transfer": "unauthorized_transfer",
    "complaint": "regulator_complaint",
}
RETURN_OUTCOMES = [ReturnOutcome.RESOLVED_GUIDANCE, ReturnOutcome.NOT_OUR_TEAM, ReturnOutcome.MISSING_INFORMATION]
GOOD = [
    "Quick and clear, thank you.",
    "The agent explained everything.",
    "Sorted within the day, great.",
    "Helpful and polite.",
    "Funds arrived, thanks for chasing it.",
]
BAD = [
    "Took far too long.",
    "I had to repeat myself several times.",
    "Still not sure what happened to my money.",
    "Nobody answered for days.",
    "Generic replies, no real help.",
]


def _ts(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def load(*, seed: int, as_of: datetime, stdout=None) -> dict:
    """Write the dashboards' demo data for the cases in the database; returns what it wrote."""
    rng = random.Random(seed * 7919 + 7)  # noqa: S311 - demo data, not security
    with transaction.atomic():
        summary = {
            "escalations": _escalations(rng, as_of),
            "referrals": _referrals(rng, as_of),
            **_flags(rng, as_of),
            **_surveys(rng, as_of),
        }
        _handle_times()
    summary["facts"] = facts_rebuild(now=as_of)
    summary["campaigns"] = _campaigns(rng, as_of)
    analyze()
    if stdout is not None:
        stdout.write("Dashboards: " + ", ".join(f"{k} {v:,}" for k, v in summary.items()))
    return summary


def _cases(*fields):
    return Case.objects.order_by("pk").values_list(*fields).iterator(chunk_size=BATCH)


def _escalations(rng: random.Random, as_of: datetime) -> int:
    teams = dict(Team.objects.values_list("slug", "pk"))
    reasons = dict(ReasonCode.objects.values_list("code", "pk"))
    categories = dict(Category.objects.values_list("pk", "code"))
    rows: list[Escalation] = []
    written = 0
    for pk, team_id, category_id, received, resolved, status, priority, tier in _cases(
        "pk", "team_id", "category_id", "received_at", "resolved_at", "status", "priority", "customer__tier"
    ):
        if rng.random() >= ESCALATION_SHARE:
            continue
        slug, code = ESCALATION_ROUTES.get(categories[category_id], DEFAULT_ROUTE)
        target, reason = teams.get(slug), reasons.get(code)
        if target is None or reason is None or target == team_id:
            continue
        end = resolved or as_of
        requested = received + (end - received) * rng.uniform(0.05, 0.5)
        urgency = {"urgent": "critical", "high": "high", "low": "low"}.get(priority, "normal")
        target_minutes = DEFAULT_OLA_MINUTES[urgency]
        due = requested + timedelta(minutes=target_minutes)
        responded = requested + timedelta(minutes=target_minutes * rng.lognormvariate(-0.6, 0.7))
        open_case = status not in (Status.RESOLVED, Status.CLOSED)
        if responded > end:
            responded = None if open_case else end
        if responded is None:
            state, closed, outcome = EscalationStatus.REQUESTED, None, ""
        elif open_case and rng.random() < 0.6:
            state, closed, outcome = EscalationStatus.ACCEPTED, None, ""
        elif rng.random() < 0.22:
            state, closed, outcome = EscalationStatus.RETURNED, responded, rng.choice(RETURN_OUTCOMES)
        else:
            state, closed, outcome = EscalationStatus.COMPLETED, resolved or responded, ""
        rows.append(
            Escalation(
                case_id=pk,
                from_team_id=team_id,
                to_team_id=target,
                reason_id=reason,
                urgency=urgency,
                customer_tier=tier,
                tier_rank=TIER_RANK.get(tier, 3),
                urgency_rank=URGENCY_RANK[urgency],
                status=state,
                requested_at=_ts(requested),
                responded_at=responded and _ts(responded),
                outcome=outcome,
                closed_at=closed and _ts(max(closed, responded or closed)),
                ola_target_minutes=target_minutes,
                ola_due_at=_ts(due),
                ola_breached_at=_ts(due) if (responded or as_of) > due else None,
            )
        )
        if len(rows) >= BATCH:
            written += len(Escalation.objects.bulk_create(rows))
            rows = []
    written += len(Escalation.objects.bulk_create(rows))
    return written


def _referrals(rng: random.Random, as_of: datetime) -> int:
    """A few cases referred to the FIU, decided without a report: restricted from every figure."""
    officer = User.objects.filter(role="fiu", is_active=True).order_by("pk").first()
    if officer is None:
        return 0
    rows = [
        Referral(
            case_id=pk,
            referred_by=officer,
            referred_at=_ts(received + timedelta(hours=2)),
            reason="Demo referral",
            status="no_report",
            suspicion_formed_at=_ts(received + timedelta(hours=2)),
            decided_at=_ts(received + timedelta(days=2)),
            decision_rationale="Demo: no report warranted",
        )
        for pk, received in Case.objects.filter(received_at__lt=as_of - timedelta(days=3))
        .order_by("pk")
        .values_list("pk", "received_at")
        .iterator(chunk_size=BATCH)
        if rng.random() < FIU_SHARE
    ]
    return len(Referral.objects.bulk_create(rows, batch_size=BATCH))


def _flags(rng: random.Random, as_of: datetime) -> dict:
    categories = dict(Category.objects.values_list("pk", "code"))
    wanted = [pk for pk, code in categories.items() if code in FLAG_KINDS]
    reviewer = User.objects.filter(role="compliance", is_active=True).order_by("pk").first()
    raiser = User.objects.filter(role="agent", is_active=True).order_by("pk").first()
    reasons: dict[str, list[int]] = {}
    for pk, kinds in DecisionReason.objects.filter(needs_two_reviewers=False).values_list("pk", "kinds"):
        for kind in kinds:
            reasons.setdefault(kind, []).append(pk)
    if reviewer is None or raiser is None:
        return {"flags": 0, "decisions": 0, "obligations": 0}
    flags, plans = [], []
    for pk, category_id, received, resolved, assignee, jurisdiction in (
        Case.objects.filter(category_id__in=wanted)
        .order_by("pk")
        .values_list("pk", "category_id", "received_at", "resolved_at", "assignee_id", "customer__jurisdiction")
    ):
        if rng.random() > FLAG_SHARE:
            continue
        kind = FLAG_KINDS[categories[category_id]]
        end = resolved or as_of
        raised = received + (end - received) * rng.uniform(0.02, 0.2)
        submitted = raised + (end - raised) * rng.uniform(0.05, 0.3)
        decided = submitted + timedelta(minutes=rng.lognormvariate(6.2, 0.8))
        signed = decided <= end and resolved is not None
        if not signed:
            decided = None
        flags.append(
            RegulatoryFlag(
                case_id=pk,
                kind=kind,
                facts={"demo": True},
                raised_by_id=assignee or raiser.pk,
                raised_at=_ts(raised),
                submitted_by_id=assignee or raiser.pk,
                submitted_at=_ts(submitted),
                status="signed_off" if signed else "in_review",
                evidence_hash="d" * 64,
                signed_off_at=decided and _ts(decided),
            )
        )
        plans.append((kind, received, resolved, decided, jurisdiction))
    created = RegulatoryFlag.objects.bulk_create(flags, batch_size=BATCH)
    decisions, obligations = [], []
    for flag, (kind, received, resolved, decided, jurisdiction) in zip(created, plans, strict=True):
        if decided is not None:
            decisions.append(
                FlagDecision(
                    flag=flag,
                    reviewer=reviewer,
                    reason_id=rng.choice(reasons[kind]),
                    evidence_hash="d" * 64,
                    decided_at=_ts(decided),
                )
            )
        rule = _rule(kind, jurisdiction)
        if rule is None:
            continue
        code, name, citation, days, satisfied_by = rule
        due = received + timedelta(days=days)
        satisfied = resolved if resolved and rng.random() < 0.97 else None
        if satisfied is None and resolved is not None:
            satisfied = due + timedelta(days=rng.uniform(0.5, 3))
        late = satisfied is not None and satisfied > due or (satisfied is None and as_of > due)
        obligations.append(
            Obligation(
                flag=flag,
                case_id=flag.case_id,
                rule_code=code,
                rule_name=name,
                citation=citation,
                jurisdiction=jurisdiction,
                triggered_at=_ts(received),
                due_at=_ts(due),
                satisfied_by=satisfied_by,
                satisfied_at=satisfied and _ts(satisfied),
                breached_at=_ts(due) if late else None,
            )
        )
    FlagDecision.objects.bulk_create(decisions, batch_size=BATCH)
    Obligation.objects.bulk_create(obligations, batch_size=BATCH)
    return {"flags": len(created), "decisions": len(decisions), "obligations": len(obligations)}


def _rule(kind: str, jurisdiction: str):
    us = jurisdiction.startswith("US-")
    if kind == "unauthorized_transfer" and us:
        return (
            "us_reg_e_investigate",
            "Reg E: investigate a notice of error",
            "12 CFR 1005.11(c)(1)",
            14,
            "investigation_completed",
        )
    if kind == "regulator_complaint":
        if us:
            return ("us_cfpb_response", "CFPB complaint response", "CFPB company portal", 15, "response_sent")
        return ("au_idr_response", "RG 271 IDR response", "ASIC RG 271.57", 30, "response_sent")
    return None


def _surveys(rng: random.Random, as_of: datetime) -> dict:
    fiu = Team.objects.filter(slug="fiu").values_list("pk", flat=True).first()
    restricted = set(Referral.objects.values_list("case_id", flat=True))
    fraud = set(RegulatoryFlag.objects.filter(kind="scam_fraud").values_list("case_id", flat=True))
    surveys, events = [], []
    for pk, team_id, received, resolved, email in (
        Case.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED])
        .order_by("pk")
        .values_list("pk", "team_id", "received_at", "resolved_at", "customer__email")
        .iterator(chunk_size=BATCH)
    ):
        sent = resolved + timedelta(hours=1)
        if sent > as_of or team_id == fiu or pk in restricted or pk in fraud:
            continue
        survey = Survey(case_id=pk, email=email, nonce=f"{rng.getrandbits(64):016x}", sent_at=_ts(sent))
        if rng.random() < ANSWER_SHARE:
            answered = sent + timedelta(hours=rng.uniform(0.2, 60))
            if answered <= as_of:
                days = (resolved - received).total_seconds() / 86400
                mean = 4.6 - min(days, 10) * 0.22
                score = max(1, min(5, round(rng.gauss(mean, 0.9))))
                comment = rng.choice(GOOD if score >= 4 else BAD) if rng.random() < COMMENT_SHARE else ""
                survey.status, survey.score, survey.comment, survey.answered_at = (
                    "answered",
                    score,
                    comment,
                    _ts(answered),
                )
                body = f"Customer satisfaction survey answered: {score} of 5." + (f"\n“{comment}”" if comment else "")
                events.append(
                    CaseEvent(
                        case_id=pk,
                        kind=EventKind.NOTE,
                        body=body,
                        data={"event": "csat_answered", "score": score},
                        created_at=_ts(answered),
                    )
                )
        surveys.append(survey)
        if len(surveys) >= BATCH:
            Survey.objects.bulk_create(surveys)
            surveys = []
    Survey.objects.bulk_create(surveys)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
    return {"surveys": Survey.objects.count(), "answers": len(events)}


def _campaigns(rng: random.Random, as_of: datetime) -> int:
    """Campaigns on the data's own spikes: the busiest days of spike-prone categories."""
    Campaign.objects.filter(note__startswith="[demo]").delete()
    by_day = list(
        Case.objects.filter(received_at__gte=as_of - timedelta(days=330))
        .annotate(day=TruncDate("received_at"))
        .values("day", "category__code", "category_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[:200]
    )
    chosen: list[tuple[date, str, int]] = []
    for row in by_day:
        if row["category__code"] in ("tax-documents",):
            continue
        if any(abs((row["day"] - day).days) < 20 for day, _, _ in chosen):
            continue
        chosen.append((row["day"], row["category__code"], row["category_id"]))
        if len(chosen) == 3:
            break
    names = {
        "withdrawals": "Instant withdrawals launch",
        "trading": "New trading pairs listing",
        "account-access": "Two-factor app migration",
        "deposits": "Bank transfer partner switch",
        "scam-fraud": "Scam awareness e-mail campaign",
    }
    written = 0
    for day, code, category_id in chosen:
        campaign = Campaign.objects.create(
            name=names.get(code, f"{code.replace('-', ' ').capitalize()} promotion"),
            starts_on=day - timedelta(days=1),
            ends_on=day + timedelta(days=2),
            expected_extra_cases=0,
            note="[demo] entered by a lead from the product team's launch calendar",
            created_at=as_of,
        )
        campaign.categories.set([category_id])
        written += 1
    tax = Category.objects.filter(code="tax-documents").first()
    year = as_of.year if as_of.month > 4 else as_of.year
    if tax is not None and date(year, 4, 15) <= as_of.date():
        campaign = Campaign.objects.create(
            name="Tax statements available",
            starts_on=date(year, 1, 15),
            ends_on=date(year, 4, 15),
            expected_extra_cases=0,
            note="[demo] annual tax statement release",
            created_at=as_of,
        )
        campaign.categories.set([tax])
        written += 1
    # What the product team expected: the measured extra volume, give or take a third.
    from metrics import definitions
    from metrics.scope import Scope

    scope = Scope(
        start_day=as_of.date() - timedelta(days=365), end_day=as_of.date(), tz=ZoneInfo("UTC"), visible_team_ids=None
    )
    for row in definitions.campaigns(scope)["rows"]:
        expected = max(10, round(max(row["actual_extra"], 10) * rng.uniform(0.7, 1.3)))
        Campaign.objects.filter(pk=row["campaign"]["pk"]).update(expected_extra_cases=expected)
    return written


def _handle_times() -> None:
    lead = User.objects.filter(username="lead.us").first()
    minutes = {
        "kyc": 25,
        "scam-fraud": 40,
        "unauthorized-transfer": 35,
        "complaint": 45,
        "account-closure": 20,
        "tax-documents": 10,
        "fees": 8,
    }
    for category in Category.objects.filter(code__in=minutes):
        HandleTime.objects.update_or_create(
            category=category, defaults={"minutes": minutes[category.code], "set_by": lead, "set_at": _now()}
        )


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE metrics_casefact, metrics_survey, escalations_escalation")
