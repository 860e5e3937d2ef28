"""Escalations and flags over the API: the services' rules, four-eyes included."""

from __future__ import annotations

import pytest

from compliance.models import DecisionReason
from escalations.models import ReasonCode
from people.choices import Role
from tests.factories import UserFactory


@pytest.fixture
def reason(db):
    return ReasonCode.objects.filter(is_active=True).order_by("position").first()


def test_escalate_accept_and_return(api_for, agent, specialist, case, reason):
    fraud = specialist.teams.get()
    raised = api_for(agent).post(
        f"/api/v1/cases/{case.reference}/escalations/",
        {"to_team": fraud.slug, "reason": reason.code, "note": "Looks like a scam."},
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    escalation = raised.json()
    assert escalation["status"] == "requested" and escalation["to_team"]["slug"] == fraud.slug
    # The receiving team reads the escalated case before accepting it.
    assert api_for(specialist).get(f"/api/v1/cases/{case.reference}/").status_code == 200
    stale = api_for(specialist).post(
        f"/api/v1/escalations/{escalation['id']}/accept/",
        {},
        format="json",
        HTTP_IF_MATCH=f'"escalation.{escalation["id"]}-v9"',
    )
    assert stale.status_code == 412
    refused = api_for(agent).post(f"/api/v1/escalations/{escalation['id']}/accept/", {}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (403, "escalation_refused")
    accepted = api_for(specialist).post(f"/api/v1/escalations/{escalation['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["owner"]["username"] == specialist.username
    again = api_for(specialist).post(
        f"/api/v1/escalations/{escalation['id']}/return/", {"outcome": "nope", "guidance": "x"}, format="json"
    )
    assert again.status_code == 400
    returned = api_for(specialist).post(
        f"/api/v1/escalations/{escalation['id']}/return/",
        {"outcome": "guidance", "guidance": "Refund the fee."},
        format="json",
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    hops = api_for(agent).get(f"/api/v1/cases/{case.reference}/escalations/").json()
    assert [hop["status"] for hop in hops] == ["returned"]


def test_flag_raise_submit_and_four_eyes_sign_off(api_for, agent, compliance_user, case):
    client = api_for(agent)
    raised = client.post(
        f"/api/v1/cases/{case.reference}/flags/",
        {"kind": "regulator_complaint", "facts": {"regulator": "cfpb", "received_date": "2026-11-02"}},
        format="json",
    )
    assert raised.status_code == 201, raised.json()
    flag = raised.json()
    assert [o["rule_code"] for o in flag["obligations"]]
    submitted = client.post(f"/api/v1/flags/{flag['id']}/submit/", format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    evidence = submitted.json()["evidence_hash"]
    code = DecisionReason.objects.filter(kinds__contains=["regulator_complaint"], two_reviewers_above__isnull=True,
                                         needs_two_reviewers=False, is_active=True).first().code  # fmt: skip
    # The agent who raised it may not sign it off; a compliance reviewer who did not work it may.
    own = client.post(f"/api/v1/flags/{flag['id']}/sign-off/", {"reason": code, "seen_hash": evidence}, format="json")
    assert own.status_code == 403
    reviewer = api_for(compliance_user)
    moved = reviewer.post(f"/api/v1/flags/{flag['id']}/sign-off/", {"reason": code, "seen_hash": "0" * 64},
                          format="json")  # fmt: skip
    assert (moved.status_code, moved.json()["error"]) == (409, "stale_evidence")
    queue = reviewer.get("/api/v1/flags/", {"kind": "regulator_complaint"}).json()["results"]
    assert [row["id"] for row in queue] == [flag["id"]]
    signed = reviewer.post(f"/api/v1/flags/{flag['id']}/sign-off/", {"reason": code, "seen_hash": evidence},
                           format="json")  # fmt: skip
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    obligations = reviewer.get("/api/v1/obligations/", {"due_before": "2100-01-01T00:00:00Z"}).json()["results"]
    assert {o["case"] for o in obligations} == {case.reference}
    assert client.get("/api/v1/obligations/").status_code == 403
    assert client.get(f"/api/v1/cases/{case.reference}/obligations/").status_code == 200


def test_facts_corrections_go_through_the_service(api_for, agent, case):
    client = api_for(agent)
    flag = client.post(
        f"/api/v1/cases/{case.reference}/flags/",
        {"kind": "scam_fraud", "facts": {"scam_type": "credential_compromise", "amount": "10", "asset": "BTC"}},
        format="json",
    ).json()
    changed = client.post(
        f"/api/v1/flags/{flag['id']}/facts/",
        {"facts": {"scam_type": "credential_compromise", "amount": "12", "asset": "BTC"}, "reason": "Typo"},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["facts"]["amount"] == "12"


def test_the_dashboard_figures_are_for_leads_compliance_and_audit(api_for, lead, agent, case):
    assert api_for(agent).get("/api/v1/metrics/dashboard/").status_code == 403
    figures = api_for(lead).get("/api/v1/metrics/dashboard/")
    assert figures.status_code == 200, figures.json()
    assert {"resolution", "arrivals", "backlog", "regulatory"} <= set(figures.json()["panels"])
    assert api_for(lead).get("/api/v1/metrics/dashboard/", {"tz": "Mars/Base"}).status_code == 400


def test_an_fiu_officer_reads_but_cannot_write(api_for, case):
    fiu = UserFactory(role=Role.FIU)
    assert api_for(fiu).get(f"/api/v1/cases/{case.reference}/").status_code == 200
    assert api_for(fiu).post(f"/api/v1/cases/{case.reference}/notes/", {"body": "x"}, format="json").status_code == 403
