"""The CFPB import on the real-format sample: reference counts, idempotency, bad files and rows."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cases.choices import Channel
from cases.models import Case, CaseEvent
from compliance.models import Obligation, RegulatoryFlag
from intake.cfpb import REQUIRED_COLUMNS, CfpbFileError, cfpb_import_file, decode, parse
from intake.models import CfpbComplaint, CfpbImport
from outbox.models import OutboxMessage

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "cfpb-complaints-sample.csv"
HEADER = ",".join(f'"{c}"' if "," in c else c for c in REQUIRED_COLUMNS)
VIRTUAL_CURRENCY_IDS = {3192172, 3242981, 3271895, 3274031, 7281615}


def _row(**overrides) -> str:
    values = {
        "Date received": "2023-09-01",
        "Product": "Money transfer, virtual currency, or money service",
        "Sub-product": "Virtual currency",
        "Issue": "Fraud or scam",
        "Sub-issue": "",
        "Consumer complaint narrative": "Line one.\nLine two, with a comma.",
        "Company": "Example Exchange",
        "State": "CA",
        "ZIP code": "941XX",
        "Tags": "",
        "Submitted via": "Web",
        "Date sent to company": "2023-09-02",
        "Company response to consumer": "In progress",
        "Timely response?": "Yes",
        "Complaint ID": "9000001",
        **overrides,
    }
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([values[c] for c in REQUIRED_COLUMNS])
    return out.getvalue()


def _file(*rows: str) -> bytes:
    return (HEADER + "\n" + "".join(rows)).encode()


def test_the_parser_reads_every_sample_row_with_multi_line_narratives():
    rows = parse(decode(SAMPLE.read_bytes()))
    assert len(rows) == 3000
    # The README's reference figures, from the parsed rows.
    responses = Counter(row.values["Company response to consumer"] for row in rows)
    assert responses == {
        "Closed with explanation": 2126,
        "Closed with non-monetary relief": 552,
        "In progress": 211,
        "Closed with monetary relief": 93,
        "Untimely response": 16,
        "Closed": 2,
    }
    assert sum(row.values["Timely response?"] == "Yes" for row in rows) == 2966
    assert sum("\n" in row.values["Consumer complaint narrative"] for row in rows) == 282
    # A narrative over several lines moves the next row's first line on.
    assert rows[1].line > 2


@pytest.mark.slow
def test_the_sample_imports_with_reference_counts_and_a_second_run_changes_nothing(cfpb_account):
    rows = parse(decode(SAMPLE.read_bytes()))
    valid_states = sum(1 for r in rows if r.values["State"] in {*__import__("cases.choices").choices.US_STATES})
    run = cfpb_import_file(actor=None, filename=SAMPLE.name, raw=SAMPLE.read_bytes())

    assert len(run.report) == 3000
    assert run.created == valid_states and run.rejected == 3000 - valid_states and run.updated == 0
    rejected = [row for row in run.report if row["outcome"] == "rejected"]
    assert all("State" in row["reason"] for row in rejected)
    assert CfpbComplaint.objects.count() == run.created
    assert Case.objects.filter(channel=Channel.REGULATOR).count() == run.created
    # Every imported complaint carries a CFPB regulator-complaint flag and its clock.
    assert RegulatoryFlag.objects.filter(kind="regulator_complaint", facts__regulator="cfpb").count() == run.created
    assert Obligation.objects.filter(rule_code__startswith="us_cfpb").count() >= run.created
    # README figures over what was imported plus what was refused add up to the whole file.
    imported = Counter(CfpbComplaint.objects.values_list("company_response", flat=True))
    refused = Counter(next(r for r in rows if r.line == row["line"]).values["Company response to consumer"]
                      for row in rejected)  # fmt: skip
    assert imported + refused == Counter({"Closed with explanation": 2126, "Closed with non-monetary relief": 552,
                                          "In progress": 211, "Closed with monetary relief": 93,
                                          "Untimely response": 16, "Closed": 2})  # fmt: skip
    vc = CfpbComplaint.objects.filter(sub_product="Virtual currency", product__startswith="Money transfer")
    assert set(vc.values_list("complaint_id", flat=True)) == VIRTUAL_CURRENCY_IDS
    for complaint in vc.select_related("flag"):
        assert complaint.date_sent_to_company == complaint.date_received
        assert complaint.flag.facts["received_date"] == complaint.date_sent_to_company.isoformat()

    again = cfpb_import_file(actor=None, filename=SAMPLE.name, raw=SAMPLE.read_bytes())
    assert (again.created, again.updated, again.unchanged) == (0, 0, run.created)
    assert CfpbComplaint.objects.count() == run.created


def test_a_changed_row_updates_its_case_and_a_moved_trigger_date_is_refused(cfpb_account):
    first = cfpb_import_file(actor=None, filename="a.csv", raw=_file(_row()))
    assert first.created == 1
    complaint = CfpbComplaint.objects.get(complaint_id=9000001)
    assert complaint.case.customer.jurisdiction == "US-CA"
    assert complaint.flag.facts == {"regulator": "cfpb", "received_date": "2023-09-02"}
    assert "Line one.\nLine two, with a comma." in CaseEvent.objects.filter(case=complaint.case).first().body

    second = cfpb_import_file(
        actor=None, filename="b.csv", raw=_file(_row(**{"Company response to consumer": "Closed with explanation"}))
    )
    assert second.updated == 1 and "In progress → Closed with explanation" in second.report[0]["reason"]
    note = CaseEvent.objects.filter(case=complaint.case, kind="note").get()
    assert "Closed with explanation" in note.body

    third = cfpb_import_file(actor=None, filename="c.csv", raw=_file(_row(**{"Date sent to company": "2023-09-03"})))
    assert third.rejected == 1 and "compliance reviewer must correct" in third.report[0]["reason"]
    assert CfpbComplaint.objects.get(complaint_id=9000001).date_sent_to_company.isoformat() == "2023-09-02"


def test_bad_rows_are_rejected_with_reasons_and_the_good_ones_imported(cfpb_account):
    raw = _file(
        _row(**{"Complaint ID": "1"}),
        _row(**{"Complaint ID": "2", "Date received": "18/03/2020"}),
        _row(**{"Complaint ID": "3", "State": "PR"}),
        _row(**{"Complaint ID": "abc"}),
        _row(**{"Complaint ID": "5", "Date sent to company": "2023-08-01"}),
        _row(**{"Complaint ID": "6", "Date received": "2999-01-01"}),
        _row(**{"Complaint ID": "1"}),
        _row(**{"Complaint ID": "7"}),
    )
    run = cfpb_import_file(actor=None, filename="mixed.csv", raw=raw)
    outcomes = [(row["complaint_id"], row["outcome"]) for row in run.report]
    assert outcomes == [("1", "created"), ("2", "rejected"), ("3", "rejected"), ("abc", "rejected"),
                        ("5", "rejected"), ("6", "rejected"), ("1", "rejected"), ("7", "created")]  # fmt: skip
    reasons = [row["reason"] for row in run.report]
    assert "'18/03/2020' is not a date" in reasons[1]
    assert "'PR' is not one of the 50 states" in reasons[2]
    assert "is not a number" in reasons[3]
    assert "before Date received" in reasons[4]
    assert "in the future" in reasons[5]
    assert "appears again (first on line 2)" in reasons[6]
    # Nothing of a rejected row was written.
    assert set(CfpbComplaint.objects.values_list("complaint_id", flat=True)) == {1, 7}
    assert Case.objects.filter(channel=Channel.REGULATOR).count() == 2


def test_a_file_without_the_layout_or_not_utf8_is_refused_whole(cfpb_account):
    with pytest.raises(CfpbFileError, match="missing column.*'Complaint ID'"):
        cfpb_import_file(actor=None, filename="x.csv", raw=b"Date received,Product\n2023-01-01,X\n")
    with pytest.raises(CfpbFileError, match="not UTF-8: byte 0xe9 on line 3"):
        cfpb_import_file(actor=None, filename="x.csv", raw=_file(_row(Company="Soci\u00e9t\u00e9")).replace(
            "é".encode(), b"\xe9"))  # fmt: skip
    with pytest.raises(CfpbFileError, match="empty"):
        cfpb_import_file(actor=None, filename="x.csv", raw=b"")
    assert not CfpbImport.objects.exists() and not CfpbComplaint.objects.exists()


def test_the_command_reports_each_row_and_refuses_a_bad_file(cfpb_account, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(_file(_row(), _row(**{"Complaint ID": "9000002", "State": ""})))
    out = io.StringIO()
    call_command("import_cfpb", str(good), stdout=out)
    text = out.getvalue()
    assert "1 created, 0 updated, 0 unchanged, 1 rejected (2 rows)." in text
    assert "9000002\trejected" in text and "State is empty" in text
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_cfpb", str(bad), stdout=io.StringIO())


def test_the_import_needs_its_service_account(db, settings):
    settings.CFPB_IMPORT_USERNAME = "nobody-here"
    with pytest.raises(CfpbFileError, match="service account 'nobody-here'"):
        cfpb_import_file(actor=None, filename="a.csv", raw=_file(_row()))


def test_the_page_is_for_leads_and_compliance_and_queues_the_import(
    cfpb_account, client_for, lead, agent, compliance_user, django_capture_on_commit_callbacks, monkeypatch
):
    assert client_for(agent).get("/intake/cfpb/").status_code == 403
    assert client_for(lead).get("/intake/cfpb/").status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(compliance_user)
    bad = client.post("/intake/cfpb/", {"file": SimpleUploadedFile("x.csv", b"a,b\n")})
    assert bad.status_code == 400 and b"missing column" in bad.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/intake/cfpb/", {"file": SimpleUploadedFile("c.csv", _file(_row()))})
    assert response.status_code == 302
    run = CfpbImport.objects.get()
    assert [m.args for m in OutboxMessage.objects.filter(task="intake.tasks.cfpb_import_task")] == [[run.pk]]
    from intake.tasks import cfpb_import_task

    assert cfpb_import_task(run.pk) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert cfpb_import_task(run.pk) is None  # a duplicate task finds it claimed
    page = client.get(f"/intake/cfpb/{run.pk}/")
    assert page.status_code == 200 and b"1 created" in page.content
