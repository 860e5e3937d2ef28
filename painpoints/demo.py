"""Demo data for pain points, loaded by ``seed_demo``: a scam wave and a few problem records.

The scam wave is ~40 customers in the US and Australia who paid a fake "support desk" found on
social media: one Ethereum wallet shared by all of them, with a website, a phone number, a TRON
wallet and a transaction hash shared by some, and one victim who gave the wallet with a wrong
digit (kept, shown unverified). They are existing demo cases of the two offshore teams (open
ones and scam reports first), which both demo leads lead, so ``lead.us`` finds the cluster from
any victim's case; what each victim said is recorded through the same extraction agents use.
``--cases`` stays the number of cases loaded.

A reload finds the wave's wallet already recorded and changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When

from audit.services import audit_record
from cases.choices import OPEN_STATUSES
from cases.models import Case, Category
from knowledge import services as knowledge
from knowledge.choices import DocKind
from knowledge.models import Document
from knowledge.services import Draft
from painpoints import services
from painpoints.choices import EventKind, LinkSource, PainPointStatus
from painpoints.models import CaseIdentifier, PainPoint, PainPointLink
from people.models import Team, User

SCAM_WALLET = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
# The same wallet with one hex digit wrong, as one victim typed it (checksum fails).
SCAM_WALLET_TYPO = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d358"
SCAM_SITE = "coinbase-helpdesk-support.com"
SCAM_PHONE = "+1 (888) 555-0147"
SCAM_TX = "0x" + hashlib.sha256(b"escalation-desk demo scam transfer").hexdigest()
VICTIMS_US, VICTIMS_AU = 24, 16
FRONTLINE = ("manila-l1", "kuala-lumpur-l1")
ANSWER_SLUG_TITLE = "Scam wave: fake support desk taken down"
ANSWER_BODY = (
    "Hello {{ customer_first_name }},\n\nthank you for reporting the people who called themselves our "
    "support desk. The website and phone number they used have been taken down, and the wallet you were "
    'asked to pay is now blocked on our platform. We will never ask you to move funds to "secure" them. '
    "Our fraud team keeps working on case {{ case_reference }} and will write to you about any recovery; "
    "we cannot promise that funds can be recovered."
)

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = _B58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out


def tron_address(seed: bytes) -> str:
    """A well-formed TRON address (0x41 + 20 bytes, base58check) that belongs to nobody."""
    return _b58check(b"\x41" + hashlib.sha256(seed).digest()[:20])


def _message(rng: random.Random, i: int, tron: str) -> str:
    wallet = SCAM_WALLET_TYPO if i == 7 else SCAM_WALLET
    amount = rng.choice([350, 800, 1200, 2500, 4000, 9800])
    parts = [
        f"I searched for your support number on social media and called {SCAM_PHONE}. " if i % 3 == 0 else "",
        f"They sent me to https://{SCAM_SITE}/verify and "
        if i % 2 == 0 or i == 7
        else "They said my account was at risk and ",
        f"told me to move ${amount:,} of USDT to a 'safe wallet' {wallet} to protect it.",
        f" I also sent TRX to {tron}." if i % 8 == 1 else "",
        f" The transaction was {SCAM_TX}." if i in (3, 4) else "",
        " Now the money is gone and nobody answers. Please help.",
    ]
    return "".join(parts), amount


@transaction.atomic
def load(*, seed: int, as_of: datetime, stdout=None) -> None:
    lead = User.objects.filter(username="lead.us").first()
    approver = User.objects.filter(username="compliance.rev").first()
    teams = list(Team.objects.filter(slug__in=FRONTLINE).order_by("slug"))
    category = Category.objects.filter(code="scam-fraud").first()
    if lead is None or approver is None or not teams or category is None:
        return
    if CaseIdentifier.objects.filter(value=SCAM_WALLET.lower()).exists():
        return
    rng = random.Random(seed * 1009 + 10)  # noqa: S311 - demo data must be reproducible, not secret
    frontline = Case.objects.filter(team__in=teams)
    # Open cases first (the one answer reaches them), scam reports first among those.
    ordered = frontline.annotate(
        open_first=When_(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()),
        scam_first=When_(When(category=category, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("open_first", "scam_first", "-received_at", "id")
    us = list(ordered.filter(customer__jurisdiction__startswith="US-").select_related("assignee")[:VICTIMS_US])
    au = list(ordered.filter(customer__jurisdiction__startswith="AU-").select_related("assignee")[:VICTIMS_AU])
    cases = us + au
    rng.shuffle(cases)
    if len(cases) < 10:
        return
    tron = tron_address(b"escalation-desk demo tron mule")
    for i, case in enumerate(cases):
        # What the victim told the agent, as the agent recorded it on the case.
        services.identifiers_scan(case=case, texts=[_message(rng, i, tron)[0]], actor=case.assignee or lead)
    # Three more cases of other kinds share the TRON wallet: the cluster reaches them in a second hop.
    others = list(frontline.exclude(pk__in=[c.pk for c in cases]).order_by("-received_at", "id")[:3])
    for case in others:
        services.identifiers_scan(case=case, texts=[f"Customer says a trader asked for payment to {tron}."])
    audit_record(actor=None, action="demo.painpoints", object_type="system", object_id="seed_demo",
                 after={"scam_wave_cases": len(cases), "wallet": SCAM_WALLET})  # fmt: skip
    _answer(lead, approver, category)
    _pain_points(lead, as_of, rng)
    if stdout is not None:
        stdout.write(
            f"Pain points: a scam wave of {len(cases)} cases ({len(us)} US, {len(au)} AU) sharing wallet "
            f"{SCAM_WALLET} (e.g. {cases[0].reference}); {PainPoint.objects.count()} pain points."
        )


def _answer(lead: User, approver: User, category: Category) -> None:
    """The approved reply a lead sends once the wave is dealt with (compliance approves it: it is
    linked to the scam flag kind)."""
    if Document.objects.filter(title=ANSWER_SLUG_TITLE).exists():
        return
    version = knowledge.document_create(
        actor=lead, kind=DocKind.MACRO,
        draft=Draft(title=ANSWER_SLUG_TITLE, body=ANSWER_BODY, categories=[category], flag_kinds=["scam_fraud"]),
    )  # fmt: skip
    version = knowledge.version_publish(actor=lead, version=version)
    if version.requires_approval:
        knowledge.version_review(actor=approver, version=version, decision="approved")


def _pain_points(lead: User, as_of: datetime, rng: random.Random) -> None:
    """Two operational problems with history, so the dashboard has something to say."""
    ops = Team.objects.filter(slug="operations").first()
    cdd = Team.objects.filter(slug="cdd-kyc").first()
    if ops is None or cdd is None or PainPoint.objects.filter(created_by=lead).exists():
        return
    withdrawals = services.pain_point_create(
        actor=lead, title="Withdrawals to Bank X delayed since the 12th", owner_team=ops,
        description="ACH withdrawals to Bank X settle 3-5 days late; the bank's new cut-off time.",
        target_date=(as_of + timedelta(days=5)).date(),
    )  # fmt: skip
    id_checks = services.pain_point_create(
        actor=lead, title="ID verification rejects AU driver licences from VIC", owner_team=cdd,
        description="The new card number field on VIC licences fails the vendor's format check.",
        target_date=(as_of + timedelta(days=10)).date(),
    )  # fmt: skip
    lead_cases = Case.objects.visible_to(lead)
    picks = {
        withdrawals: lead_cases.filter(category__code="withdrawals", received_at__gte=as_of - timedelta(days=20)),
        id_checks: lead_cases.filter(category__code="kyc", customer__jurisdiction="AU-VIC"),
    }
    for pain_point, qs in picks.items():
        ids = list(qs.order_by("-received_at").values_list("pk", flat=True)[:12])
        now_links = [
            PainPointLink(
                pain_point=pain_point,
                case_id=pk,
                source=LinkSource.QUEUE,
                linked_by=lead,
                linked_at=as_of - timedelta(days=rng.randint(0, 10)),
                amount_at_stake=Decimal(rng.randint(200, 5000)) if pain_point is withdrawals else None,
            )  # fmt: skip
            for pk in ids
        ]
        PainPointLink.objects.bulk_create(now_links)
        services.pain_point_record(pain_point=pain_point, actor=lead, kind=EventKind.LINKED, body="Demo history",
                                   data={"count": len(now_links), "source": LinkSource.QUEUE})  # fmt: skip
    services.pain_point_change_status(
        actor=lead,
        pain_point=withdrawals,
        to_status=PainPointStatus.FIX_IN_PROGRESS,
        expected_version=None,
        note="Bank X moved its cut-off; ops is re-batching.",
    )
