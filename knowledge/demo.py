"""Demo data for the knowledge app, loaded by ``seed_demo``: SOPs per regulatory flag kind with
their customer scripts, reply templates, quick guides, training records and a few QA scorecards.

Documents are configuration: written once, through the services (audited, approved by the
compliance persona), and left alone on a reload. Acknowledgements and the QA week are added
where missing, so a second load changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cases.models import Category
from compliance.choices import FlagKind
from knowledge import qa, services
from knowledge.choices import DocKind, RubricItem
from knowledge.models import Acknowledgement, Document, QaSample, Scorecard
from knowledge.services import Draft
from people.models import Team, User

FRONTLINE = ("manila-l1", "kuala-lumpur-l1")

# flag kind: (SOP title, SOP body, customer script)
FLAG_SOPS = {
    FlagKind.SCAM_FRAUD: (
        "Scam and fraud reports",
        "## When to use\nThe customer says they were tricked into sending funds, or someone else moved them.\n\n"
        "## Steps\n1. Ask whether **they** sent the funds (authorized push payment) or someone else did "
        "(credential compromise).\n2. Lock the account if the customer still has open sessions they do not "
        "recognise.\n3. Raise a *Scam / fraud* flag with the amount and asset.\n4. Read the customer script; "
        "never promise recovery of funds.\n5. Escalate to Fraud & Scam.",
        "Hello {{ customer_first_name }}, thank you for telling us. We have secured your account and our fraud "
        "team is reviewing case {{ case_reference }}. We cannot promise that funds can be recovered, and we will "
        "never ask you for your password or 2FA codes.",
    ),
    FlagKind.UNAUTHORIZED_TRANSFER: (
        "Reg E notice of error",
        "## Why it matters\nAn oral or written notice of an unauthorized transfer starts a **10 business day** "
        "investigation clock (12 CFR 1005.11).\n\n## Steps\n1. Record the notice date and how it was given.\n"
        "2. Raise an *Unauthorized transfer* flag the same day.\n3. Do not ask the customer to put the notice "
        "in writing before you start.",
        "Hello {{ customer_first_name }}, we have recorded your report of an unauthorized transfer under case "
        "{{ case_reference }} and started our investigation. We will write to you with the result.",
    ),
    FlagKind.ID_VERIFICATION: (
        "ID verification problems",
        "1. Check which document failed and why.\n2. Raise an *ID verification* flag.\n3. Ask for a new "
        "document through the secure upload only.",
        "Hello {{ customer_first_name }}, we could not verify the document you sent. Please upload a new one "
        "through the secure link in your account; never send ID documents by e-mail.",
    ),
    FlagKind.REGULATOR_COMPLAINT: (
        "Regulator complaints (CFPB, AFCA)",
        "1. Note the date the regulator sent the complaint.\n2. Raise a *Regulator complaint* flag.\n3. Hand "
        "over to the leads the same day: the response clock is short.",
        "Hello {{ customer_first_name }}, we have received your complaint (case {{ case_reference }}) and a "
        "senior member of our team is handling it.",
    ),
    FlagKind.SANCTIONS_MATCH: (
        "Sanctions screening matches",
        "Never tell the customer about a screening match.\n\n1. Raise a *Sanctions match* flag.\n2. Say only "
        "what the customer script says.",
        "Hello {{ customer_first_name }}, your request needs some additional review before it can be "
        "completed. We will contact you as soon as it is done.",
    ),
    FlagKind.ELDER_EXPLOITATION: (
        "Older customers at risk",
        "1. Listen for signs of pressure from a third party.\n2. Raise an *Elder financial exploitation* flag.\n"
        "3. Offer to pause outgoing transfers.",
        "Hello {{ customer_first_name }}, we want to make sure your account is safe. We can pause outgoing "
        "transfers while we look into case {{ case_reference }} with you.",
    ),
    FlagKind.LAW_ENFORCEMENT: (
        "Law-enforcement requests",
        "Send every request to Legal. Do not confirm or deny to anyone that an account exists.",
        "Thank you for your message. It has been passed to the right team, who will respond directly.",
    ),
    FlagKind.VULNERABLE_CUSTOMER: (
        "Vulnerable customers",
        "1. Adapt the pace and channel to the customer.\n2. Raise a *Vulnerable customer* flag with the circumstance.",
        "Hello {{ customer_first_name }}, take all the time you need. You can reply here or ask us to call "
        "you back about case {{ case_reference }}.",
    ),
}

TEMPLATES = [
    ("Withdrawal delayed", "withdrawals", "Hello {{ customer_first_name }}, your withdrawal is being processed. "
     "Case {{ case_reference }} stays open until it arrives."),
    ("Deposit not credited", "deposits", "Hello {{ customer_first_name }}, please send us the transaction hash "
     "so we can trace your deposit (case {{ case_reference }})."),
    ("2FA reset started", "account-access", "Hello {{ customer_first_name }}, we have started a 2FA reset. "
     "For your safety it takes 24 hours."),
]  # fmt: skip

GUIDES = [
    ("AU complaints: RG 271 in one page", "Acknowledge every complaint within **one business day** and "
     "respond within 30 days. Social media complaints count.", ["AU"], []),
    ("Card disputes quick guide", "1. Check the merchant and date.\n2. Card disputes may be Reg E errors: "
     "see the Reg E SOP.", [], ["card"]),
]  # fmt: skip


def _publish(author: User, approver: User, kind: str, draft: Draft, script_kind: str = "") -> None:
    version = services.document_create(actor=author, kind=kind, draft=draft, script_kind=script_kind)
    services.version_publish(actor=author, version=version)
    if version.requires_approval:
        services.version_review(actor=approver, version=version, decision="approved", note="Demo approval.")


def load(*, seed: int, as_of: datetime, stdout=None) -> None:
    author = User.objects.filter(username="lead.us").first()
    approver = User.objects.filter(username="compliance.rev").first()
    if author is None or approver is None:
        return
    teams = list(Team.objects.filter(slug__in=FRONTLINE))
    categories = {c.code: c for c in Category.objects.all()}
    if not Document.objects.exists():
        for kind, (title, body, script) in FLAG_SOPS.items():
            _publish(author, approver, DocKind.SOP, Draft(title=title, body=body, flag_kinds=[kind], teams=teams))
            _publish(
                author, approver, DocKind.MACRO,
                Draft(title=f"Customer script: {FlagKind(kind).label}", body=script, flag_kinds=[kind]),
                script_kind=kind,
            )  # fmt: skip
        for title, category, body in TEMPLATES:
            _publish(author, approver, DocKind.MACRO, Draft(title=title, body=body, categories=[categories[category]]))
        for title, body, places, codes in GUIDES:
            draft = Draft(title=title, body=body, jurisdictions=places, categories=[categories[c] for c in codes])
            _publish(author, approver, DocKind.GUIDE, draft)
    _acknowledge(seed)
    _qa_week(seed, as_of, author)
    if stdout is not None:
        stdout.write(
            f"Knowledge: {Document.objects.count()} documents, {Acknowledgement.objects.count()} acknowledgements, "
            f"{Scorecard.objects.count()} QA scorecards."
        )


def _acknowledge(seed: int) -> None:
    """The Manila persona is trained on everything, the KL persona on nothing (routing skips them
    for flagged cases until they acknowledge), their colleagues on a random half."""
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    current = list(Document.objects.filter(current_version__isnull=False).exclude(kind=DocKind.MACRO))
    people = User.objects.filter(memberships__team__slug__in=FRONTLINE, role="agent").distinct().order_by("pk")
    done = set(Acknowledgement.objects.values_list("agent_id", "version_id"))
    for person in people:
        if person.username == "agent.kl":
            continue
        for document in current:
            if (person.pk, document.current_version_id) in done:
                continue
            if person.username == "agent.manila" or rng.random() < 0.5:
                services.acknowledge(actor=person, version=document.current_version)


def _qa_week(seed: int, as_of: datetime, reviewer: User) -> None:
    week = qa.week_start(as_of.date() - timedelta(days=7))
    qa.qa_sample_draw(week=week, per_agent=2, now=as_of)
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    samples = QaSample.objects.filter(
        week_start=week, scorecard__isnull=True, agent__memberships__team__slug__in=FRONTLINE
    )
    for sample in samples.order_by("pk").distinct()[:6]:
        scores = {item.value: (rng.randint(2, 5), "") for item in RubricItem}
        scores[RubricItem.TONE.value] = (rng.randint(3, 5), "Warm and clear.")
        qa.scorecard_submit(actor=reviewer, sample=sample, scores=scores, comment="Weekly review.")
