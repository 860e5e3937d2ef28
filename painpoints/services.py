"""Every write to identifiers and pain points: lock, check, save, timeline event, audit, on-commit.

Each service is atomic: if any step fails, nothing of it is written (the audit row included).
Bulk linking and the one answer to many customers are jobs: the request writes the job and one
item per case, and a Celery task works the items in chunks. An item leaves ``pending`` in the
same transaction as its link or reply, so a retried or duplicated task never repeats one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F
from django.utils import timezone

from audit.services import audit_record
from cases.access import can_edit_case, restrict_cases_to
from cases.choices import OPEN_STATUSES
from cases.choices import EventKind as CaseEventKind
from cases.errors import CaseError
from cases.models import Case, CaseEvent
from cases.services import case_add_message
from knowledge.choices import DocKind
from knowledge.models import DocumentVersion
from knowledge.rendering import fill_placeholders, placeholder_values
from outbox.services import outbox_enqueue
from painpoints import extraction
from painpoints.access import can_change_status, can_manage_pain_points, restricted_q
from painpoints.choices import (
    ANSWERABLE_STATUSES,
    DeliveryStatus,
    EventKind,
    IdentifierSource,
    JobKind,
    JobStatus,
    LinkSource,
    PainPointStatus,
    allowed_next,
)
from painpoints.errors import PainPointError
from painpoints.models import BulkJob, CaseIdentifier, JobItem, PainPoint, PainPointEvent, PainPointLink
from people.models import Team, User

# Items per transaction in a bulk job: small enough that a lead's poll sees progress and a
# retry redoes little, large enough that commits do not dominate.
CHUNK = 100
# A bulk job's ceiling: beyond this the filter is too broad to be one problem.
MAX_BULK_CASES = 10_000


# --- identifiers -----------------------------------------------------------------------------------


def _identifier_rows(case: Case, found: Iterable[extraction.Checked], *, actor, source: str, raw: dict | None = None):
    now = timezone.now()
    return [
        CaseIdentifier(
            case=case,
            kind=c.kind,
            chain=c.chain,
            value=c.value,
            display=((raw or {}).get(c.value) or c.written or c.value)[:200],
            verified=c.verified,
            note=c.note[:120],
            source=source,
            added_by=actor,
            added_at=now,
        )  # fmt: skip
        for c in found
    ]


@transaction.atomic
def identifier_add(*, actor: User, case: Case, kind: str, raw: str, chain: str = "") -> CaseIdentifier:
    """Record an identifier an agent read in the case. A malformed or checksum-invalid value is
    kept as written and marked unverified; nothing is corrected. Raises PainPointError: 403 for
    someone who may not work the case, 400 for an empty or oversized value, 409 if recorded."""
    if not can_edit_case(actor, case):
        raise PainPointError("Only people working this case can add identifiers.", status_code=403)
    try:
        checked = extraction.check_identifier(kind, raw, chain)
    except ValueError as exc:
        raise PainPointError(str(exc), problems={"value": [str(exc)]}) from exc
    if CaseIdentifier.objects.filter(case=case, kind=checked.kind, value=checked.value).exists():
        message = "This case already has that identifier."
        raise PainPointError(message, status_code=409, problems={"value": [message]})
    identifier = _identifier_rows(
        case, [checked], actor=actor, source=IdentifierSource.AGENT, raw={checked.value: raw.strip()}
    )[0]
    identifier.save()
    audit_record(
        actor=actor, action="case.identifier_add", object_type="case", object_id=case.reference,
        after={"kind": identifier.kind, "chain": identifier.chain, "value": identifier.value,
               "verified": identifier.verified},
    )  # fmt: skip
    return identifier


@transaction.atomic
def identifiers_scan(*, case: Case, texts: Iterable[str], actor: User | None = None) -> list[CaseIdentifier]:
    """Record the identifiers found in ``texts`` that the case does not have yet (one audit row
    for them all). No access check: callers are the message hook, the demo and the service below."""
    found: dict[tuple[str, str], extraction.Checked] = {}
    for text in texts:
        for checked in extraction.extract(text):
            found.setdefault((checked.kind, checked.value), checked)
    if not found:
        return []
    existing = set(
        CaseIdentifier.objects.filter(case=case, kind__in={k for k, _ in found}).values_list("kind", "value")
    )
    fresh = [c for key, c in found.items() if key not in existing]
    if not fresh:
        return []
    created = CaseIdentifier.objects.bulk_create(
        _identifier_rows(case, fresh, actor=actor, source=IdentifierSource.MESSAGE), ignore_conflicts=True
    )
    audit_record(
        actor=actor, action="case.identifiers_found", object_type="case", object_id=case.reference,
        after={"identifiers": [{"kind": c.kind, "value": c.value, "verified": c.verified} for c in fresh]},
    )  # fmt: skip
    return created


@transaction.atomic
def identifiers_extract(*, actor: User, case: Case) -> int:
    """Read every customer message of the case for identifiers and record the new ones."""
    if not can_edit_case(actor, case):
        raise PainPointError("Only people working this case can add identifiers.", status_code=403)
    bodies = CaseEvent.objects.filter(case=case, kind=CaseEventKind.CUSTOMER_MESSAGE).values_list("body", flat=True)
    return len(identifiers_scan(case=case, texts=bodies, actor=actor))


def identifiers_from_message(case: Case, event: CaseEvent, actor) -> None:
    """``cases.registry.evidence_added``: a customer's new message is read for identifiers in
    the same transaction. Our own replies are not: they only repeat what we were told."""
    if event.kind == CaseEventKind.CUSTOMER_MESSAGE and event.body:
        identifiers_scan(case=case, texts=[event.body])


# --- pain points -----------------------------------------------------------------------------------


def _snapshot(pain_point: PainPoint) -> dict:
    return {
        "title": pain_point.title,
        "owner_team_id": pain_point.owner_team_id,
        "status": pain_point.status,
        "target_date": pain_point.target_date,
        "version": pain_point.version,
    }


def _event(pain_point: PainPoint, *, kind: str, actor, body: str = "", data: dict | None = None) -> PainPointEvent:
    return PainPointEvent.objects.create(
        pain_point=pain_point, kind=kind, actor=actor, body=body, data=data or {}, created_at=timezone.now()
    )


def pain_point_record(*, pain_point: PainPoint, actor, kind: str, body: str = "", data: dict | None = None) -> None:
    """A timeline entry and its audit row for history written in bulk (the demo's links)."""
    _event(pain_point, kind=kind, actor=actor, body=body, data=data)
    _audit(actor, kind, pain_point, after=data)


def _audit(actor, action: str, pain_point: PainPoint, before: dict | None = None, after: dict | None = None) -> None:
    audit_record(actor=actor, action=f"painpoint.{action}", object_type="pain_point", object_id=pain_point.pk,
                 before=before, after=after)  # fmt: skip


def _require_lead(actor: User) -> None:
    if not can_manage_pain_points(actor):
        raise PainPointError("Only CS leads manage pain points.", status_code=403)


def _clean_details(title: str, description: str, owner_team: Team | None, target_date: date | None) -> dict:
    problems: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        problems["title"] = ["Give the pain point a title."]
    if owner_team is None:
        problems["owner_team"] = ["Choose the team that owns the fix."]
    if problems:
        raise PainPointError("The pain point is incomplete.", problems=problems)
    return {"title": title[:200], "description": (description or "").strip(), "owner_team": owner_team,
            "target_date": target_date}  # fmt: skip


@transaction.atomic
def pain_point_create(
    *, actor: User, title: str, description: str = "", owner_team: Team | None, target_date: date | None = None
) -> PainPoint:
    _require_lead(actor)
    details = _clean_details(title, description, owner_team, target_date)
    now = timezone.now()
    pain_point = PainPoint.objects.create(created_by=actor, created_at=now, updated_at=now, **details)
    _event(pain_point, kind=EventKind.CREATED, actor=actor, body=pain_point.title,
           data={"owner_team": pain_point.owner_team.name})  # fmt: skip
    _audit(actor, "create", pain_point, after=_snapshot(pain_point))
    return pain_point


def _lock(pain_point: PainPoint, expected_version: int | None) -> PainPoint:
    locked = PainPoint.objects.select_for_update().select_related("owner_team").get(pk=pain_point.pk)
    if expected_version is not None and locked.version != expected_version:
        raise PainPointError(
            f"Someone else changed this pain point while you were editing (you had version "
            f"{expected_version}, it is now {locked.version}). Nothing was saved; check and try again.",
            status_code=409,
        )
    return locked


@transaction.atomic
def pain_point_update(
    *,
    actor: User,
    pain_point: PainPoint,
    expected_version: int | None,
    title: str,
    description: str,
    owner_team: Team | None,
    target_date: date | None,
) -> PainPoint:
    _require_lead(actor)
    details = _clean_details(title, description, owner_team, target_date)
    pain_point = _lock(pain_point, expected_version)
    before = _snapshot(pain_point)
    changed = [name for name, value in details.items() if getattr(pain_point, name) != value]
    if not changed:
        return pain_point
    for name in changed:
        setattr(pain_point, name, details[name])
    pain_point.updated_at = timezone.now()
    pain_point.version += 1
    pain_point.save(update_fields=[*changed, "updated_at", "version"])
    after = _snapshot(pain_point)
    _event(pain_point, kind=EventKind.EDITED, actor=actor, data={
        "changed": sorted(changed), "owner_team": pain_point.owner_team.name,
        "target_date": str(pain_point.target_date or ""),
    })  # fmt: skip
    _audit(actor, "update", pain_point, before=before, after=after)
    return pain_point


@transaction.atomic
def pain_point_change_status(
    *, actor: User, pain_point: PainPoint, to_status: str, expected_version: int | None, note: str = ""
) -> PainPoint:
    """Move a pain point along investigating → fix in progress → fixed → verified (one step
    back from fixed when the fix does not hold). Fixed records when; verified is final."""
    if to_status not in PainPointStatus.values:
        raise PainPointError("Choose a status.", problems={"to_status": ["Choose a status."]})
    if not can_change_status(actor, pain_point, to_status):
        raise PainPointError("Only a CS lead verifies a fix.", status_code=403)
    pain_point = _lock(pain_point, expected_version)
    if pain_point.status == to_status:
        return pain_point
    if PainPointStatus(to_status) not in allowed_next(pain_point.status):
        raise PainPointError(
            f"A pain point cannot go from {pain_point.get_status_display().lower()} to "
            f"{PainPointStatus(to_status).label.lower()}.",
            status_code=409,
        )
    before = _snapshot(pain_point)
    now = timezone.now()
    from_status = pain_point.status
    pain_point.status = to_status
    fields = ["status", "updated_at", "version"]
    if to_status == PainPointStatus.FIXED:
        pain_point.fixed_at = now
        fields.append("fixed_at")
    elif to_status == PainPointStatus.VERIFIED:
        pain_point.verified_at = now
        fields.append("verified_at")
    elif from_status == PainPointStatus.FIXED:
        pain_point.fixed_at = None
        fields.append("fixed_at")
    pain_point.updated_at = now
    pain_point.version += 1
    pain_point.save(update_fields=fields)
    _event(pain_point, kind=EventKind.STATUS, actor=actor, body=(note or "").strip(),
           data={"from": from_status, "to": to_status})  # fmt: skip
    _audit(actor, "status", pain_point, before=before, after=_snapshot(pain_point))
    return pain_point


def _visible_case(actor: User, reference: str) -> Case:
    case = (
        restrict_cases_to(Case.objects.all(), actor, with_grants=True)
        .filter(reference=reference.strip().upper())
        .first()
    )
    if case is None:
        # The same answer whether the case does not exist or is not the actor's to see.
        message = f"No case {reference.strip()} that you can see; nothing was linked."
        raise PainPointError(message, status_code=404, problems={"reference": [message]})
    return case


@transaction.atomic
def pain_point_link_case(
    *, actor: User, pain_point: PainPoint, reference: str, amount_at_stake: Decimal | None = None
) -> PainPointLink:
    """Link one case by its reference. A case the lead may not see answers 404 and links nothing."""
    _require_lead(actor)
    case = _visible_case(actor, reference)
    pain_point = _lock(pain_point, None)
    if PainPointLink.objects.filter(pain_point=pain_point, case=case).exists():
        message = f"{case.reference} is already linked."
        raise PainPointError(message, status_code=409, problems={"reference": [message]})
    link = PainPointLink.objects.create(
        pain_point=pain_point,
        case=case,
        source=LinkSource.HAND,
        amount_at_stake=amount_at_stake,
        linked_by=actor,
        linked_at=timezone.now(),
    )
    _event(pain_point, kind=EventKind.LINKED, actor=actor, body=case.reference,
           data={"count": 1, "source": LinkSource.HAND, "cases": [case.reference]})  # fmt: skip
    _audit(actor, "link", pain_point, after={"case": case.reference, "amount_at_stake": amount_at_stake})
    return link


@transaction.atomic
def pain_point_unlink_case(*, actor: User, pain_point: PainPoint, reference: str) -> None:
    _require_lead(actor)
    case = _visible_case(actor, reference)
    pain_point = _lock(pain_point, None)
    deleted, _ = PainPointLink.objects.filter(pain_point=pain_point, case=case).delete()
    if not deleted:
        raise PainPointError(f"{case.reference} is not linked.", status_code=404)
    _event(pain_point, kind=EventKind.UNLINKED, actor=actor, body=case.reference, data={"case": case.reference})
    _audit(actor, "unlink", pain_point, before={"case": case.reference})


# --- bulk linking ----------------------------------------------------------------------------------


def _enqueue(job: BulkJob) -> None:
    # Through the outbox: queued after commit, or once the broker is back if it is down.
    outbox_enqueue(task="painpoints.tasks.run_bulk_job", args=[job.pk])


@transaction.atomic
def bulk_link_start(*, actor: User, pain_point: PainPoint, case_ids: Iterable[int], source: str) -> BulkJob:
    """Queue linking many cases (from a cluster or a filtered queue). Every case must be one the
    lead may see; if any is not, the whole request is refused (404) and nothing is queued."""
    _require_lead(actor)
    ids = sorted(set(case_ids))
    if not ids:
        raise PainPointError("Select at least one case to link.")
    if len(ids) > MAX_BULK_CASES:
        raise PainPointError(f"At most {MAX_BULK_CASES:,} cases can be linked at once; narrow the filter.")
    visible = set(
        restrict_cases_to(Case.objects.filter(pk__in=ids), actor, with_grants=True).values_list("pk", flat=True)
    )
    if len(visible) != len(ids):
        raise PainPointError("Some of those cases are not yours to see; nothing was linked.", status_code=404)
    pain_point = _lock(pain_point, None)
    job = BulkJob.objects.create(pain_point=pain_point, kind=JobKind.LINK, requested_by=actor,
                                 created_at=timezone.now(), total=len(ids), source=source)  # fmt: skip
    JobItem.objects.bulk_create([JobItem(job=job, case_id=pk) for pk in ids], batch_size=1000)
    _audit(actor, "bulk_link", pain_point, after={"job": job.pk, "cases": len(ids), "source": source})
    _enqueue(job)
    return job


def _claim_chunk(job: BulkJob) -> list[JobItem]:
    # SKIP LOCKED: two copies of the task (a redelivery) work different items, never the same.
    return list(
        JobItem.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(job=job, status=DeliveryStatus.PENDING)
        .select_related("case", "case__customer")
        .order_by("id")[:CHUNK]
    )


def _finish_items(items: list[JobItem]) -> None:
    now = timezone.now()
    for item in items:
        item.finished_at = now
    JobItem.objects.bulk_update(items, ["status", "reason", "reply", "finished_at"])


@transaction.atomic
def _link_chunk(job: BulkJob) -> int:
    items = _claim_chunk(job)
    if not items:
        return 0
    already = set(
        PainPointLink.objects.filter(
            pain_point_id=job.pain_point_id, case_id__in=[i.case_id for i in items]
        ).values_list("case_id", flat=True)
    )
    now = timezone.now()
    links, linked = [], []
    for item in items:
        if item.case_id in already:
            item.status, item.reason = DeliveryStatus.SKIPPED, "already linked"
            continue
        item.status = DeliveryStatus.SENT
        links.append(
            PainPointLink(
                pain_point_id=job.pain_point_id,
                case_id=item.case_id,
                source=job.source or LinkSource.QUEUE,
                linked_by_id=job.requested_by_id,
                linked_at=now,
            )
        )
        linked.append(item.case.reference)
    PainPointLink.objects.bulk_create(links)
    _finish_items(items)
    done = sum(1 for i in items if i.status == DeliveryStatus.SENT)
    BulkJob.objects.filter(pk=job.pk).update(done=F("done") + done, skipped=F("skipped") + len(items) - done,
                                             status=JobStatus.RUNNING)  # fmt: skip
    if linked:
        pain_point = PainPoint.objects.get(pk=job.pain_point_id)
        _event(pain_point, kind=EventKind.LINKED, actor=job.requested_by, body=", ".join(linked[:20]),
               data={"count": len(linked), "source": job.source, "job": job.pk, "cases": linked})  # fmt: skip
        _audit(job.requested_by, "link", pain_point, after={"job": job.pk, "cases": linked})
    return len(items)


# --- one answer to many customers ------------------------------------------------------------------


def approved_answer(version_id: int | None) -> DocumentVersion:
    """The approved text of a send: the current, published version of a reply template (a
    version linked to a flag kind is published only after compliance approved it)."""
    version = (
        DocumentVersion.objects.filter(pk=version_id, document__kind=DocKind.MACRO, current_of__isnull=False)
        .select_related("document")
        .first()
        if version_id
        else None
    )
    if version is None:
        message = "Choose an approved reply template: a bulk answer is only ever sent from approved text."
        raise PainPointError(message, problems={"macro_version": [message]})
    return version


def answer_recipients(pain_point: PainPoint, actor: User):
    """The linked cases one answer would reach: open, not restricted, and the sender's to work."""
    return (
        restrict_cases_to(Case.objects.all(), actor)
        .filter(pain_point_links__pain_point=pain_point, status__in=OPEN_STATUSES)
        .exclude(restricted_q())
    )


@transaction.atomic
def answer_send_start(*, actor: User, pain_point: PainPoint, macro_version_id: int | None) -> BulkJob:
    """Queue one approved reply to every linked open case the lead works (restricted cases
    excluded). Refused without approved text (400), before the fix (409), for an answer already
    sent on this pain point (409), or with nobody to reach (409)."""
    _require_lead(actor)
    version = approved_answer(macro_version_id)
    pain_point = _lock(pain_point, None)
    if pain_point.status not in ANSWERABLE_STATUSES:
        raise PainPointError("Send the answer once the pain point is fixed.", status_code=409)
    earlier = (
        BulkJob.objects.filter(pain_point=pain_point, kind=JobKind.SEND, macro_version=version)
        .select_related("requested_by")
        .first()
    )
    if earlier is not None:
        by = earlier.requested_by.get_full_name() or earlier.requested_by.username
        raise PainPointError(
            f"“{version.title}” v{version.number} was already sent for this pain point on "
            f"{timezone.localtime(earlier.created_at):%-d %b %Y %H:%M} by {by}. Nothing was sent again.",
            status_code=409,
        )
    ids = list(answer_recipients(pain_point, actor).values_list("pk", flat=True))
    if not ids:
        raise PainPointError(
            "No open linked case that you work would receive this answer; nothing was sent.", status_code=409
        )
    try:
        with transaction.atomic():
            job = BulkJob.objects.create(pain_point=pain_point, kind=JobKind.SEND, macro_version=version,
                                         requested_by=actor, created_at=timezone.now(), total=len(ids))  # fmt: skip
    except IntegrityError as exc:
        # Two leads pressed Send at once: the unique constraint lets one through.
        raise PainPointError("This answer is already being sent; nothing was sent twice.", status_code=409) from exc
    JobItem.objects.bulk_create([JobItem(job=job, case_id=pk) for pk in ids], batch_size=1000)
    _event(pain_point, kind=EventKind.ANSWER, actor=actor, body=f"{version.title} v{version.number}",
           data={"job": job.pk, "cases": len(ids), "state": "queued"})  # fmt: skip
    _audit(actor, "answer_send", pain_point, after={"job": job.pk, "macro_version_id": version.pk, "cases": len(ids)})
    _enqueue(job)
    return job


@transaction.atomic
def _send_chunk(job: BulkJob) -> int:
    items = _claim_chunk(job)
    if not items:
        return 0
    sender = job.requested_by
    version = job.macro_version
    restricted = set(
        Case.objects.filter(pk__in=[i.case_id for i in items]).filter(restricted_q()).values_list("pk", flat=True)
    )
    sent = 0
    for item in items:
        case = item.case
        # The world may have moved since the preview: a case referred to the FIU, closed, or
        # moved to a team the sender no longer works is skipped and says why.
        if case.pk in restricted:
            item.status, item.reason = DeliveryStatus.SKIPPED, "restricted"
            continue
        if case.status not in OPEN_STATUSES:
            item.status, item.reason = DeliveryStatus.SKIPPED, f"case is {case.get_status_display().lower()}"
            continue
        if not can_edit_case(sender, case):
            item.status, item.reason = DeliveryStatus.SKIPPED, "not the sender's team"
            continue
        body = fill_placeholders(version.body, placeholder_values(case, agent=sender))
        try:
            item.reply = case_add_message(
                actor=sender, case=case, body=body, internal=False, macro_version_id=version.pk
            )
        except CaseError as exc:
            item.status, item.reason = DeliveryStatus.SKIPPED, exc.message[:200]
            continue
        item.status = DeliveryStatus.SENT
        sent += 1
    _finish_items(items)
    BulkJob.objects.filter(pk=job.pk).update(done=F("done") + sent, skipped=F("skipped") + len(items) - sent,
                                             status=JobStatus.RUNNING)  # fmt: skip
    return len(items)


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Work a job to the end, one chunk per transaction; a second run finds nothing pending."""
    job = BulkJob.objects.select_related("requested_by", "macro_version").filter(pk=job_id).first()
    if job is None or job.status == JobStatus.DONE:
        return job
    work = _send_chunk if job.kind == JobKind.SEND else _link_chunk
    while work(job):
        pass
    with transaction.atomic():
        # Another copy of the task may still hold items (SKIP LOCKED hid them): it finishes the job.
        pending = JobItem.objects.filter(job_id=job.pk, status=DeliveryStatus.PENDING)
        finished = (
            BulkJob.objects.filter(pk=job.pk)
            .exclude(status=JobStatus.DONE)
            .exclude(Exists(pending))
            .update(status=JobStatus.DONE, finished_at=timezone.now())
        )
        job.refresh_from_db()
        if finished and job.kind == JobKind.SEND:
            pain_point = PainPoint.objects.get(pk=job.pain_point_id)
            _event(pain_point, kind=EventKind.ANSWER, actor=job.requested_by,
                   body=f"{job.macro_version.title} v{job.macro_version.number}",
                   data={"job": job.pk, "sent": job.done, "skipped": job.skipped, "state": "done"})  # fmt: skip
            _audit(
                job.requested_by,
                "answer_sent",
                pain_point,
                after={"job": job.pk, "sent": job.done, "skipped": job.skipped},
            )
    return job
