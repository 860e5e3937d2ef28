"""Import regulator complaints from the CFPB Consumer Complaint Database export (complaints.csv).

Each complaint becomes a case (channel: regulator portal, category: complaint) for an anonymous
CFPB consumer, with a regulator-complaint flag whose received date is "Date sent to company", so
the CFPB response clock (15 days; 60 for a final response) starts from when the company got it.

The file is decoded and parsed whole before anything is written (a file that is not UTF-8 or not
CSV, or lacks a column, is refused with where and why). Then each row is imported in its own
transaction: a bad row is rejected with its reason and leaves nothing behind, and the good rows
around it are imported. Complaint ID is the identity: a row imported before is skipped when
unchanged and updated (with an internal note on its case) when the export says something new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from cases.choices import US_STATES, Channel, Priority, Status
from cases.errors import CaseError
from cases.models import Category, Customer
from cases.services import case_add_message, case_create
from compliance.choices import FlagKind
from compliance.services import flag_raise
from intake.models import CfpbComplaint, CfpbImport, CfpbImportStatus
from outbox.services import outbox_enqueue
from people.models import Team, User

# The columns the import reads; the export has three more (public response, consent, disputed).
REQUIRED_COLUMNS = (
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Complaint ID",
)
MAX_FILE_BYTES = 50 * 1024 * 1024
# A date in the export is a US date; it counts from midday New York time (the CFPB's clock is
# in calendar days, and midday keeps the date the same in every US zone).
_US_EAST = ZoneInfo("America/New_York")
# The fields whose change is worth telling the case's workers about.
TRACKED = {
    "company_response": "Company response to consumer",
    "timely_response": "Timely response?",
    "issue": "Issue",
    "sub_issue": "Sub-issue",
    "product": "Product",
    "sub_product": "Sub-product",
}
_STATES = frozenset(US_STATES)


class CfpbFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowRejected(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    line: int
    values: dict[str, str]


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)

    def add(self, row: Row, outcome: str, reason: str = "", case: str = "") -> None:
        self.rows.append(
            {
                "line": row.line,
                "complaint_id": row.values.get("Complaint ID", ""),
                "outcome": outcome,
                "reason": reason,
                "case": case,
            }
        )

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row["outcome"] == outcome)


def decode(raw: bytes) -> str:
    """The file as text: UTF-8 (a byte-order mark is allowed), or a precise refusal."""
    if len(raw) > MAX_FILE_BYTES:
        raise CfpbFileError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CfpbFileError(
            f"The file is not UTF-8: byte 0x{raw[exc.start]:02x} on line {line} cannot be read. "
            f"Export it again as UTF-8 CSV."
        ) from exc


def parse(text: str) -> list[Row]:
    """Every data row with the physical line it starts on (narratives span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CfpbFileError("The file is empty.") from None
    except csv.Error as exc:
        raise CfpbFileError(f"Line 1 is not CSV: {exc}.") from exc
    header = [name.strip() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CfpbFileError(
            "This is not the CFPB complaints export layout: missing column(s) " + ", ".join(f"'{m}'" for m in missing)
            + "."
        )  # fmt: skip
    rows = []
    start = reader.line_num + 1
    try:
        for values in reader:
            if values and any(v.strip() for v in values):
                if len(values) != len(header):
                    rows.append(Row(start, {"__error__": f"{len(values)} fields where the header has {len(header)}"}))
                else:
                    rows.append(Row(start, dict(zip(header, values, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CfpbFileError(f"Line {reader.line_num} is not valid CSV ({exc}); nothing was imported.") from exc
    return rows


def _date(row: Row, column: str) -> date:
    raw = row.values[column].strip()
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise RowRejected(f"{column} {raw!r} is not a date (YYYY-MM-DD).") from None
    if value > timezone.localdate():
        raise RowRejected(f"{column} {raw} is in the future.")
    return value


def _at_midday(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=_US_EAST)


def _clean(row: Row) -> dict:
    """The row's values as the import stores them, or RowRejected naming the first problem."""
    if "__error__" in row.values:
        raise RowRejected(row.values["__error__"] + ".")
    v = {name: (row.values.get(name) or "").strip() for name in REQUIRED_COLUMNS}
    raw_id = v["Complaint ID"]
    if not raw_id.isdigit():
        raise RowRejected(f"Complaint ID {raw_id!r} is not a number." if raw_id else "Complaint ID is empty.")
    received, sent = _date(row, "Date received"), _date(row, "Date sent to company")
    if sent < received:
        raise RowRejected(f"Date sent to company {sent} is before Date received {received}.")
    state = v["State"].upper()
    if state not in _STATES:
        raise RowRejected(
            f"State {v['State']!r} is not one of the 50 states or DC, the jurisdictions the desk serves."
            if state
            else "State is empty; the desk needs the consumer's state for the regulatory clock."
        )
    for column in ("Product", "Issue", "Company", "Submitted via"):
        if not v[column]:
            raise RowRejected(f"{column} is empty.")
    return {
        "complaint_id": int(raw_id),
        "date_received": received,
        "date_sent_to_company": sent,
        "product": v["Product"][:200],
        "sub_product": v["Sub-product"][:200],
        "issue": v["Issue"][:300],
        "sub_issue": v["Sub-issue"][:300],
        "company": v["Company"][:200],
        "state": state,
        "zip_code": v["ZIP code"][:10],
        "tags": v["Tags"][:100],
        "submitted_via": v["Submitted via"][:50],
        "company_response": v["Company response to consumer"][:100],
        "timely_response": v["Timely response?"][:10],
        "narrative": v["Consumer complaint narrative"],
    }


def _row_hash(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _case_body(values: dict) -> str:
    lines = [
        f"CFPB complaint {values['complaint_id']} about {values['company']}, submitted via {values['submitted_via']}.",
        f"Product: {values['product']}" + (f" / {values['sub_product']}" if values["sub_product"] else ""),
        f"Issue: {values['issue']}" + (f" / {values['sub_issue']}" if values["sub_issue"] else ""),
        f"Received by the CFPB {values['date_received']}; sent to the company {values['date_sent_to_company']}.",
    ]
    if values["narrative"]:
        lines += ["", "Consumer's narrative:", values["narrative"]]
    return "\n".join(lines)[:20_000]


def _account_number(complaint_id: int) -> str:
    return f"CFPB-{complaint_id}"


def _customer(values: dict, existing: Customer | None) -> Customer:
    """The anonymous consumer of one complaint: the export carries no name or contact (the CFPB
    removes them), so the account is the complaint's own, in the consumer's state."""
    if existing is not None:
        return existing
    return Customer.objects.create(
        account_number=_account_number(values["complaint_id"]),
        full_name=f"CFPB consumer {values['complaint_id']}",
        email=f"complaint-{values['complaint_id']}@consumers.cfpb.invalid",
        jurisdiction=f"US-{values['state']}",
        is_older_adult="Older American" in values["tags"],
        account_opened_at=_at_midday(values["date_received"]),
    )


def _create(
    values: dict, *, importer: User, team: Team, category: Category, customer: Customer | None
) -> CfpbComplaint:
    now = timezone.now()
    case = case_create(
        actor=importer,
        customer=_customer(values, customer),
        subject=f"CFPB {values['complaint_id']}: {values['issue']}"[:200],
        body=_case_body(values),
        channel=Channel.REGULATOR,
        category=category,
        team=team,
        priority=Priority.HIGH,
        received_at=_at_midday(values["date_received"]),
    )
    flag = flag_raise(
        actor=importer,
        case=case,
        kind=FlagKind.REGULATOR_COMPLAINT,
        facts={"regulator": "cfpb", "received_date": values["date_sent_to_company"].isoformat()},
    )
    stored = {k: v for k, v in values.items() if k != "narrative"}
    return CfpbComplaint.objects.create(
        case=case, flag=flag, row_hash=_row_hash(values), imported_at=now, updated_at=now, **stored
    )


def _update(complaint: CfpbComplaint, values: dict, *, importer: User) -> list[str]:
    """Apply a later export's values; returns what changed (empty: nothing to do)."""
    if complaint.date_sent_to_company != values["date_sent_to_company"]:
        raise RowRejected(
            f"Date sent to company changed from {complaint.date_sent_to_company} to {values['date_sent_to_company']}: "
            f"a regulatory clock runs from it, so a compliance reviewer must correct the trigger date on "
            f"{complaint.case.reference}."
        )
    changes = [
        f"{label}: {getattr(complaint, name) or '—'} → {values[name] or '—'}"
        for name, label in TRACKED.items()
        if getattr(complaint, name) != values[name]
    ]
    for name in ("company", "zip_code", "tags", "submitted_via", "state", "date_received", *TRACKED):
        setattr(complaint, name, values[name])
    complaint.row_hash = _row_hash(values)
    complaint.updated_at = timezone.now()
    complaint.save()
    if changes and complaint.case.status != Status.CLOSED:
        case_add_message(
            actor=importer,
            case=complaint.case,
            body="The CFPB export changed this complaint:\n" + "\n".join(changes),
            internal=True,
        )
    return changes


def import_rows(rows: list[Row], *, importer: User, team: Team) -> ImportReport:
    """Import parsed rows, each in its own transaction; returns what became of every row.

    The complaints and consumers the file names are read up front in two queries, so a row
    imported before with the same values costs nothing (no transaction, no lock) and a new one
    does not look itself up; only a row that changed is locked and read again in its transaction.
    """
    report = ImportReport()
    category = Category.objects.get(code="complaint")
    seen: dict[int, int] = {}
    checked: list[tuple[Row, dict | None, str]] = []
    for row in rows:
        try:
            values = _clean(row)
            first = seen.setdefault(values["complaint_id"], row.line)
            if first != row.line:
                raise RowRejected(f"Complaint ID {values['complaint_id']} appears again (first on line {first}).")
            checked.append((row, values, ""))
        except RowRejected as exc:
            checked.append((row, None, exc.message))
    ids = [values["complaint_id"] for _, values, _ in checked if values is not None]
    known = {c.complaint_id: c for c in CfpbComplaint.objects.filter(complaint_id__in=ids).select_related("case")}
    customers = {
        c.account_number: c for c in Customer.objects.filter(account_number__in=[_account_number(i) for i in ids])
    }
    for row, values, refusal in checked:
        if values is None:
            report.add(row, "rejected", refusal)
            continue
        existing = known.get(values["complaint_id"])
        if existing is not None and existing.row_hash == _row_hash(values):
            report.add(row, "unchanged", "Imported before with the same values.", existing.case.reference)
            continue
        try:
            with transaction.atomic():
                if existing is None:
                    customer = customers.get(_account_number(values["complaint_id"]))
                    complaint = _create(values, importer=importer, team=team, category=category, customer=customer)
                    report.add(row, "created", case=complaint.case.reference)
                    continue
                # Changed since it was read above: lock it and decide on what is there now.
                existing = (
                    CfpbComplaint.objects.select_for_update(of=("self",)).select_related("case").get(pk=existing.pk)
                )
                if existing.row_hash == _row_hash(values):
                    report.add(row, "unchanged", "Imported before with the same values.", existing.case.reference)
                else:
                    changes = _update(existing, values, importer=importer)
                    report.add(row, "updated", "; ".join(changes) or "Details corrected.", existing.case.reference)
        except RowRejected as exc:
            report.add(row, "rejected", exc.message)
        except CaseError as exc:
            # CaseError and compliance's FlagError (a CaseError too): the row's transaction is undone.
            report.add(row, "rejected", exc.message)
        except ValidationError as exc:
            report.add(row, "rejected", "; ".join(exc.messages))
    return report


def cfpb_importer(*, team: Team | None = None) -> tuple[User, Team]:
    """The service account the import acts as, and the team its cases go to (its first team
    unless one of its teams is named). Raises CfpbFileError with how to set it up."""
    username = settings.CFPB_IMPORT_USERNAME
    importer = User.objects.filter(username=username, is_active=True).first()
    if importer is None:
        raise CfpbFileError(
            f"The CFPB import acts as the service account {username!r}, which does not exist. Create it with "
            f"manage.py api_token service-account {username} --role lead --integration 'CFPB import' "
            f"--team <team slug>."
        )
    teams = Team.objects.filter(memberships__user=importer).order_by("pk")
    chosen = teams.filter(pk=team.pk).first() if team is not None else teams.first()
    if chosen is None:
        raise CfpbFileError(f"The service account {username!r} is not in {team or 'any team'}; add it in the admin.")
    return importer, chosen


def cfpb_import_create(*, actor: User | None, filename: str, raw: bytes, team: Team | None) -> CfpbImport:
    """Check a file and queue its import. Raises CfpbFileError for a file that cannot be imported
    (nothing is queued then)."""
    text = decode(raw)
    parse(text)
    _, team = cfpb_importer(team=team)
    run = CfpbImport.objects.create(
        started_by=actor, filename=filename[:200], source_text=text, team=team, created_at=timezone.now()
    )
    # Through the outbox: queued after commit, or once the broker is back if it is down.
    outbox_enqueue(task="intake.tasks.cfpb_import_task", args=[run.pk])
    return run


def cfpb_import_run(run_id: int) -> CfpbImport | None:
    """Run a queued import (the Celery task). Claims it first, so a duplicate task does nothing."""
    if not CfpbImport.objects.filter(pk=run_id, status=CfpbImportStatus.QUEUED).update(status=CfpbImportStatus.RUNNING):
        return None
    run = CfpbImport.objects.select_related("team", "started_by").get(pk=run_id)
    try:
        importer, team = cfpb_importer(team=run.team)
        report = import_rows(parse(run.source_text), importer=importer, team=team)
    except CfpbFileError as exc:
        run.status, run.error, run.finished_at = CfpbImportStatus.FAILED, exc.message, timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    return _finish(run, report, actor=run.started_by)


def _finish(run: CfpbImport, report: ImportReport, *, actor: User | None) -> CfpbImport:
    run.report = report.rows
    run.created, run.updated = report.count("created"), report.count("updated")
    run.unchanged, run.rejected = report.count("unchanged"), report.count("rejected")
    run.status, run.finished_at = CfpbImportStatus.DONE, timezone.now()
    run.source_text = ""  # the cases hold what was imported; the report says what was not
    with transaction.atomic():
        run.save()
        audit_record(
            actor=actor,
            action="intake.cfpb_import",
            object_type="cfpb_import",
            object_id=run.pk,
            after={"file": run.filename, "created": run.created, "updated": run.updated,
                   "unchanged": run.unchanged, "rejected": run.rejected},
        )  # fmt: skip
    return run


def cfpb_import_file(*, actor: User | None, filename: str, raw: bytes, team: Team | None = None) -> CfpbImport:
    """Import a file now, in this process (the management command). Raises CfpbFileError."""
    text = decode(raw)
    rows = parse(text)
    importer, team = cfpb_importer(team=team)
    run = CfpbImport.objects.create(
        started_by=actor, filename=filename[:200], team=team, created_at=timezone.now(),
        status=CfpbImportStatus.RUNNING,
    )  # fmt: skip
    return _finish(run, import_rows(rows, importer=importer, team=team), actor=actor)
