"""Demo data for the compliance pages: the facts each demo flag's kind needs, the evidence digest
a reviewer signs against, and each flag's nearest deadline.

``metrics.demo`` writes a year of flags, decisions and obligations in bulk for the dashboards;
this step, run by ``seed_demo`` after it, makes those flags workable in the review queue: facts
that read like a real dispute (their trigger date is the date the flag's clock runs from), a
frozen evidence digest equal to what the flag page shows (so a demo reviewer can sign off),
and ``next_due_at`` for the queue's order.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Min, OuterRef, Subquery

from compliance.choices import FlagKind, FlagStatus
from compliance.clocks import jurisdiction_calendar
from compliance.models import Obligation, RegulatoryFlag
from compliance.services import flag_evidence_hash

ASSETS = ("BTC", "ETH", "USDT", "USDC", "SOL", "USD", "AUD")
SANCTIONS_LISTS = ("OFAC SDN", "OFAC Consolidated", "DFAT Consolidated", "UN Security Council")
AGENCIES = ("FBI Cyber Division", "US Secret Service", "AFP Cybercrime Operations", "NSW Police Force")
CONCERNS = (
    "Adult child added as account holder and moved most of the balance within a week",
    "Customer reports a 'grandson' asked for urgent crypto payments",
    "Caregiver calls on the customer's behalf and asks to raise withdrawal limits",
)
CIRCUMSTANCES = (
    "Bereavement: the account holder's spouse died last month",
    "Customer says they are in hospital and cannot pass voice verification",
    "Financial hardship after job loss; asks to close positions at a loss",
)


def _facts(kind: str, rng: random.Random, *, raised: date, trigger: date | None, country: str) -> dict:
    amount = str(Decimal(rng.randint(40, 25_000)) + Decimal(rng.randint(0, 99)) / 100)
    if kind == FlagKind.SCAM_FRAUD:
        scam = rng.choice(("credential_compromise", "authorized_push_payment"))
        return {"scam_type": scam, "amount": amount, "asset": rng.choice(ASSETS)}
    if kind == FlagKind.ID_VERIFICATION:
        return {"problem": rng.choice(("expired", "altered", "mismatch", "unreadable"))}
    if kind == FlagKind.UNAUTHORIZED_TRANSFER:
        notice = trigger or raised
        return {
            "notice_date": notice.isoformat(),
            "notice_form": rng.choice(("oral", "written")),
            "transfer_date": (notice - timedelta(days=rng.randint(1, 20))).isoformat(),
            "amount": amount,
            "leg": rng.choice(("fiat", "fiat", "crypto")),
            "new_account": rng.random() < 0.1,
            "foreign_initiated": rng.random() < 0.05,
            "pos": rng.random() < 0.15,
        }
    if kind == FlagKind.REGULATOR_COMPLAINT:
        return {"regulator": "afca" if country == "AU" else "cfpb", "received_date": (trigger or raised).isoformat()}
    if kind == FlagKind.SANCTIONS_MATCH:
        return {"list_name": rng.choice(SANCTIONS_LISTS), "match_score": str(rng.randint(72, 99))}
    if kind == FlagKind.ELDER_EXPLOITATION:
        return {"concern": rng.choice(CONCERNS)}
    if kind == FlagKind.LAW_ENFORCEMENT:
        return {"agency": rng.choice(AGENCIES), "request_date": raised.isoformat()}
    return {"circumstance": rng.choice(CIRCUMSTANCES)}


def load(*, seed: int, stdout=None) -> dict:
    rng = random.Random(seed * 7919 + 5)  # noqa: S311 - demo data, not secrets
    first_trigger = Obligation.objects.filter(flag=OuterRef("pk")).order_by("triggered_at").values("triggered_at")[:1]
    flags = list(
        RegulatoryFlag.objects.filter(facts={"demo": True})
        .select_related("case__customer")
        .annotate(trigger_at=Subquery(first_trigger))
        .order_by("pk")
    )
    for flag in flags:
        jurisdiction = flag.case.customer.jurisdiction
        zone = jurisdiction_calendar(jurisdiction).tz
        trigger = flag.trigger_at.astimezone(zone).date() if flag.trigger_at else None
        flag.facts = _facts(flag.kind, rng, raised=flag.raised_at.astimezone(zone).date(), trigger=trigger,
                            country=jurisdiction[:2])  # fmt: skip
    RegulatoryFlag.objects.bulk_update(flags, ["facts"], batch_size=2_000)
    # What a reviewer sees is what they sign against: freeze each waiting flag's real evidence.
    waiting = [flag for flag in flags if flag.status == FlagStatus.IN_REVIEW]
    for flag in waiting:
        flag.evidence_hash = flag_evidence_hash(flag)
    RegulatoryFlag.objects.bulk_update(waiting, ["evidence_hash"], batch_size=2_000)
    nearest = (
        Obligation.objects.filter(flag=OuterRef("pk"), satisfied_at__isnull=True)
        .values("flag")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    RegulatoryFlag.objects.update(next_due_at=Subquery(nearest))
    summary = {"flags_with_facts": len(flags), "frozen_for_review": len(waiting)}
    if stdout is not None:
        stdout.write(f"Compliance: {len(flags):,} demo flags given their facts, {len(waiting):,} frozen for review.")
    return summary
