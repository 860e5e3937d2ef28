"""Every write to SOPs, quick guides and reply templates: draft, publish, review, acknowledge.

Versions are written once and never changed; publishing, approval and acknowledgement are rows
of their own. Four-eyes holds here, so pages and admin both obey it: a version linked to a
regulatory flag kind is published only after a compliance reviewer who neither wrote nor
submitted it approves it, and every refused review is audited in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import TextField, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from cases.choices import JURISDICTION_CODES
from cases.models import Category
from compliance.choices import FlagKind
from knowledge.choices import COUNTRIES, DocKind, ReviewDecision
from knowledge.errors import KnowledgeError
from knowledge.models import (
    Acknowledgement,
    AckReminder,
    Document,
    DocumentVersion,
    Publication,
    VersionLink,
    VersionReview,
    VersionSubmission,
)
from knowledge.rendering import unknown_placeholders
from people.choices import Role
from people.models import Membership, Team, User
from people.notifications import Message, notify_many
from people.roles import can_work_cases, role_of

MAX_TITLE = 200
MAX_BODY = 100_000
# Who writes and publishes documents, who approves them, who acknowledges them.
AUTHOR_ROLES = frozenset({Role.LEAD})
REVIEWER_ROLES = frozenset({Role.COMPLIANCE})
# People whose training routing checks and reminders chase.
TRAINEE_ROLES = (Role.AGENT, Role.SPECIALIST)
COUNTRY_CODES = frozenset(code for code, _ in COUNTRIES)


@dataclass
class Draft:
    """What a lead writes for a version, before it is checked."""

    title: str
    body: str
    change_note: str = ""
    material_change: bool = False
    categories: list[Category] = field(default_factory=list)
    flag_kinds: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)


def draft_problems(draft: Draft, *, kind: str, script_kind: str = "") -> dict[str, list[str]]:
    """Every problem with a draft, by field (empty when it may be saved)."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    if kind not in DocKind.values:
        add("kind", "Choose an SOP, a quick guide or a reply template.")
    if not draft.title.strip():
        add("title", "Give it a title.")
    elif len(draft.title.strip()) > MAX_TITLE:
        add("title", f"Titles are limited to {MAX_TITLE} characters.")
    if not draft.body.strip():
        add("body", "The text is empty; write the procedure or reply before saving.")
    elif len(draft.body) > MAX_BODY:
        add("body", f"The text is limited to {MAX_BODY:,} characters.")
    if kind == DocKind.MACRO and draft.body.strip():
        unknown = unknown_placeholders(draft.body)
        if unknown:
            add("body", "Unknown placeholder: " + ", ".join(unknown) + ". Use only the placeholders listed.")
    for kind_code in draft.flag_kinds:
        if kind_code not in FlagKind.values:
            add("flag_kinds", f"{kind_code!r} is not a regulatory flag kind.")
    for code in draft.jurisdictions:
        if code not in COUNTRY_CODES and code not in JURISDICTION_CODES:
            add("jurisdictions", f"{code!r} is not a jurisdiction (use US, AU or a state such as US-CA).")
    if script_kind:
        if kind != DocKind.MACRO:
            add("script_kind", "Only a reply template can be a customer script.")
        if script_kind not in draft.flag_kinds:
            add("flag_kinds", "A customer script must be linked to the flag kind it is the script for.")
    return problems


def _require_author(actor: User) -> None:
    if role_of(actor) not in AUTHOR_ROLES:
        raise KnowledgeError("Only leads write and publish SOPs, quick guides and reply templates.", status_code=403)


def _search_vector(title: str, body: str):
    # Written with the row (versions never change); PostgreSQL only, SQLite searches the text.
    if connection.vendor != "postgresql":
        return None
    return SearchVector(Value(title, output_field=TextField()), weight="A", config="english") + SearchVector(
        Value(body, output_field=TextField()), weight="B", config="english"
    )


def _write_version(document: Document, draft: Draft, *, number: int, actor: User, now: datetime) -> DocumentVersion:
    flag_kinds = sorted(set(draft.flag_kinds))
    jurisdictions = sorted(set(draft.jurisdictions))
    title, body = draft.title.strip(), draft.body.strip()
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        title=title,
        body=body,
        change_note=draft.change_note.strip()[:300],
        material_change=draft.material_change,
        requires_approval=bool(flag_kinds),
        has_topics=bool(draft.categories or flag_kinds),
        has_jurisdictions=bool(jurisdictions),
        created_by=actor,
        created_at=now,
        search=_search_vector(title, body),
    )
    links = [VersionLink(version=version, category=category) for category in dict.fromkeys(draft.categories)]
    links += [VersionLink(version=version, flag_kind=kind) for kind in flag_kinds]
    links += [VersionLink(version=version, jurisdiction=code) for code in jurisdictions]
    links += [VersionLink(version=version, team=team) for team in dict.fromkeys(draft.teams)]
    VersionLink.objects.bulk_create(links)
    return version


def _version_snapshot(version: DocumentVersion) -> dict:
    return {
        "document": version.document.slug,
        "kind": version.document.kind,
        "number": version.number,
        "title": version.title,
        "material_change": version.material_change,
        "requires_approval": version.requires_approval,
    }


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "document"
    taken = set(Document.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def document_create(*, actor: User, kind: str, draft: Draft, script_kind: str = "") -> DocumentVersion:
    """Start a document with its first version (a draft until published). Raises KnowledgeError
    with the problems by field; nothing is written then."""
    _require_author(actor)
    problems = draft_problems(draft, kind=kind, script_kind=script_kind)
    if script_kind and Document.objects.filter(script_kind=script_kind).exists():
        problems.setdefault("script_kind", []).append(
            f"{FlagKind(script_kind).label} already has a customer script; write a new version of it instead."
        )
    if problems:
        raise KnowledgeError("The document was not saved; correct the fields marked.", problems=problems)
    now = timezone.now()
    document = Document.objects.create(
        kind=kind,
        slug=_unique_slug(draft.title),
        title=draft.title.strip(),
        latest_number=1,
        script_kind=script_kind,
        created_by=actor,
        created_at=now,
    )
    version = _write_version(document, draft, number=1, actor=actor, now=now)
    audit_record(
        actor=actor, action="knowledge.draft", object_type="document", object_id=document.slug,
        after=_version_snapshot(version),
    )  # fmt: skip
    return version


@transaction.atomic
def version_create(*, actor: User, document: Document, draft: Draft) -> DocumentVersion:
    """Write the document's next version (a draft). The document row is locked so two leads
    saving at once get consecutive numbers. Raises KnowledgeError; nothing is written then."""
    _require_author(actor)
    document = Document.objects.select_for_update().get(pk=document.pk)
    problems = draft_problems(draft, kind=document.kind, script_kind=document.script_kind)
    if problems:
        raise KnowledgeError("The new version was not saved; correct the fields marked.", problems=problems)
    now = timezone.now()
    document.latest_number += 1
    document.save(update_fields=["latest_number"])
    version = _write_version(document, draft, number=document.latest_number, actor=actor, now=now)
    audit_record(
        actor=actor, action="knowledge.draft", object_type="document", object_id=document.slug,
        after=_version_snapshot(version),
    )  # fmt: skip
    return version


def _lock_version(version: DocumentVersion) -> tuple[Document, DocumentVersion]:
    # The document row is the lock for everything that moves its current version.
    document = Document.objects.select_for_update().get(pk=version.document_id)
    version = DocumentVersion.objects.select_related("document", "submission", "review", "publication").get(
        pk=version.pk
    )
    return document, version


def _has(version: DocumentVersion, relation: str) -> bool:
    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError.
    return hasattr(version, relation)


def _publish(document: Document, version: DocumentVersion, *, publisher: User, now: datetime) -> Publication:
    """Make ``version`` current (document already locked); returns the publication row."""
    if document.current_version_id is not None:
        current_number = document.current_version.number
        if version.number < current_number:
            raise KnowledgeError(
                f"v{version.number} is older than the current v{current_number}; write a new version instead.",
                status_code=409,
            )
    before = {"current_version": document.current_version_id, "required_number": document.required_number}
    publication = Publication.objects.create(version=version, published_by=publisher, published_at=now)
    first = document.current_version_id is None
    document.current_version = version
    document.title = version.title
    if first or version.material_change:
        # Earlier acknowledgements no longer count: everyone reads this one again.
        document.required_number = version.number
    document.save(update_fields=["current_version", "title", "required_number"])
    audit_record(
        actor=publisher, action="knowledge.publish", object_type="document", object_id=document.slug,
        before=before,
        after={**_version_snapshot(version), "current_version": version.pk,
               "required_number": document.required_number},
    )  # fmt: skip
    if document.kind != DocKind.MACRO and (first or version.material_change):
        _notify_audience(document, version, now=now)
    return publication


def _notify_audience(document: Document, version: DocumentVersion, *, now: datetime) -> None:
    """Tell everyone the version asks to read it (the e-mail copies go after commit)."""
    recipients = audience_ids(version)
    if not recipients:
        return
    what = "Material change" if version.material_change and version.number > 1 else "New"
    notify_many(
        [
            Message(
                recipient_ids=recipients,
                kind="knowledge.acknowledge",
                title=f"{what}: read and acknowledge {version.title} v{version.number}",
                body=version.change_note,
                url=reverse("knowledge:document", args=[document.slug]),
            )
        ],
        now=now,
    )


def audience_ids(version: DocumentVersion) -> list[int]:
    """Active agents and specialists of the teams the version names (everyone's if none)."""
    team_ids = list(VersionLink.objects.filter(version=version, team__isnull=False).values_list("team_id", flat=True))
    people = User.objects.filter(is_active=True, role__in=TRAINEE_ROLES)
    if team_ids:
        people = people.filter(pk__in=Membership.objects.filter(team_id__in=team_ids).values("user_id"))
    return list(people.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def version_publish(*, actor: User, version: DocumentVersion) -> DocumentVersion:
    """Publish a version, or send it to compliance when it is linked to a regulatory flag kind
    and not yet approved (it is published by the approval). Idempotent for a version already
    published or already awaiting approval. Raises KnowledgeError (403 role, 409 state)."""
    _require_author(actor)
    document, version = _lock_version(version)
    if _has(version, "publication"):
        return version
    review = version.review if _has(version, "review") else None
    if review is not None and review.decision == ReviewDecision.CHANGES_REQUESTED:
        raise KnowledgeError("Compliance asked for changes to this version; write a new version.", status_code=409)
    now = timezone.now()
    if version.requires_approval and review is None:
        if _has(version, "submission"):
            return version
        if document.current_version_id and version.number < document.current_version.number:
            raise KnowledgeError("A newer version is already published; write a new version instead.", status_code=409)
        VersionSubmission.objects.create(version=version, submitted_by=actor, submitted_at=now)
        audit_record(
            actor=actor, action="knowledge.submit", object_type="document", object_id=document.slug,
            after=_version_snapshot(version),
        )  # fmt: skip
        return version
    _publish(document, version, publisher=actor, now=now)
    return version


def _review_refusal(actor: User, version: DocumentVersion, decision: str) -> str | None:
    if role_of(actor) not in REVIEWER_ROLES:
        return "Only compliance reviewers approve SOPs and reply templates."
    if decision not in ReviewDecision.values:
        return "Approve the version or ask for changes."
    if not version.requires_approval:
        return "This version is not linked to a regulatory flag kind; it needs no approval."
    if actor.pk == version.created_by_id:
        return "You wrote this version; another compliance reviewer must approve it."
    submission = version.submission if _has(version, "submission") else None
    if submission is None:
        return "This version has not been sent for approval yet."
    if actor.pk == submission.submitted_by_id:
        return "You sent this version for approval; another compliance reviewer must approve it."
    if _has(version, "review"):
        return "This version has already been reviewed."
    return None


def version_review(*, actor: User, version: DocumentVersion, decision: str, note: str = "") -> DocumentVersion:
    """Record a compliance decision on a submitted version; an approval publishes it (on behalf
    of the lead who submitted it). Refuses (KnowledgeError 403/409) without writing anything to
    the version, and audits the refusal in its own transaction so it outlives the refusal."""
    try:
        return _review(actor=actor, version=version, decision=decision, note=note)
    except KnowledgeError as exc:
        with transaction.atomic():
            audit_record(
                actor=actor, action="knowledge.review_refused", object_type="document_version",
                object_id=version.pk, after={"decision": decision, "refused": exc.message},
            )  # fmt: skip
        raise


@transaction.atomic
def _review(*, actor: User, version: DocumentVersion, decision: str, note: str) -> DocumentVersion:
    document, version = _lock_version(version)
    refusal = _review_refusal(actor, version, decision)
    if refusal:
        raise KnowledgeError(refusal, status_code=403)
    if decision == ReviewDecision.CHANGES_REQUESTED and not note.strip():
        raise KnowledgeError("Say what needs to change.", problems={"note": ["Say what needs to change."]})
    now = timezone.now()
    VersionReview.objects.create(version=version, reviewer=actor, decision=decision, note=note.strip(), decided_at=now)
    audit_record(
        actor=actor, action="knowledge.review", object_type="document", object_id=document.slug,
        after={**_version_snapshot(version), "decision": decision},
    )  # fmt: skip
    if decision == ReviewDecision.APPROVED:
        _publish(document, version, publisher=version.submission.submitted_by, now=now)
    return version


@transaction.atomic
def acknowledge(*, actor: User, version: DocumentVersion) -> Acknowledgement:
    """Record "I have read and understood" the current version of an SOP or quick guide.

    Returns the existing row if they already acknowledged this version (rows are never
    overwritten). Raises KnowledgeError for a superseded or unpublished version, a reply
    template, or someone who does not work cases.
    """
    if not can_work_cases(actor):
        raise KnowledgeError("Only people who work cases record training.", status_code=403)
    document = Document.objects.select_for_update().get(pk=version.document_id)
    if document.kind == DocKind.MACRO:
        raise KnowledgeError("Reply templates are not acknowledged; SOPs and quick guides are.")
    if document.current_version_id != version.pk:
        if document.current_version_id is None or version.number > document.current_version.number:
            raise KnowledgeError(f"v{version.number} is not published yet.", status_code=409)
        raise KnowledgeError(
            f"v{version.number} has been superseded by v{document.current_version.number}; "
            "read and acknowledge the current version.",
            status_code=409,
        )
    existing = Acknowledgement.objects.filter(agent=actor, version=version).first()
    if existing is not None:
        return existing
    now = timezone.now()
    ack = Acknowledgement.objects.create(
        agent=actor, document=document, version=version, version_number=version.number, acknowledged_at=now
    )
    audit_record(
        actor=actor, action="knowledge.acknowledge", object_type="document", object_id=document.slug,
        after={"version": version.number, "acknowledgement_id": ack.pk},
    )  # fmt: skip
    return ack


def ack_reminders_send(*, now: datetime | None = None, today: date | None = None) -> int:
    """Remind each trainee of the current SOPs and quick guides they have not acknowledged at
    the required version; once a day at most per person and version. Returns reminders sent.

    Set-based: one query for what is outstanding, one for today's reminders already sent. A
    duplicated task either finds today's rows or hits the unique constraint and writes nothing.
    """
    from knowledge.selectors import outstanding_acknowledgements

    now = now or timezone.now()
    today = today or timezone.localdate(now)
    outstanding = outstanding_acknowledgements()
    if not outstanding:
        return 0
    sent = set(
        AckReminder.objects.filter(sent_on=today, version_id__in={v for _, v, _ in outstanding}).values_list(
            "agent_id", "version_id"
        )
    )
    due = [
        (user_id, version_id, label) for user_id, version_id, label in outstanding if (user_id, version_id) not in sent
    ]
    if not due:
        return 0
    try:
        with transaction.atomic():
            AckReminder.objects.bulk_create(
                AckReminder(agent_id=user_id, version_id=version_id, sent_on=today) for user_id, version_id, _ in due
            )
            by_version: dict[tuple[int, str], list[int]] = {}
            for user_id, version_id, label in due:
                by_version.setdefault((version_id, label), []).append(user_id)
            notify_many(
                [
                    Message(
                        recipient_ids=user_ids,
                        kind="knowledge.reminder",
                        title=f"Reminder: read and acknowledge {label}",
                        url=reverse("knowledge:mine"),
                    )
                    for (_, label), user_ids in by_version.items()
                ],
                now=now,
            )
    except IntegrityError:
        # Another run sent today's reminders at the same moment.
        return 0
    return len(due)
