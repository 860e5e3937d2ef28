"""Who may see and change which case, on every page: allowed, read-only (403), outsider (404)."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from cases.access import can_assign_case, can_edit_case, get_case_for_user
from cases.models import Case, CaseEvent
from people.choices import Role
from tests.factories import CaseFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(case, agent, name: str) -> tuple[str, str, dict]:
    """(method, url, data) for each case page and action, with data that would succeed."""
    ref = case.reference
    return {
        "queue": ("get", "/cases/", {}),
        "mine": ("get", "/cases/mine/", {}),
        "detail": ("get", f"/cases/{ref}/", {}),
        "customer": ("get", f"/customers/{case.customer.account_number}/", {}),
        "message": ("post", f"/cases/{ref}/messages/", {"body": "We are on it.", "kind": "reply"}),
        "note": ("post", f"/cases/{ref}/messages/", {"body": "Check the wallet.", "kind": "note"}),
        "status": ("post", f"/cases/{ref}/status/", {"to_status": "open", "version": case.version}),
        "assign": ("post", f"/cases/{ref}/assign/", {"assignee": agent.pk, "version": case.version}),
        "properties": (
            "post",
            f"/cases/{ref}/properties/",
            {"priority": "high", "category": CategoryFactory(code="kyc").pk, "version": case.version},
        ),
        "bulk": ("post", "/cases/bulk/", {"action": "assign", "cases": [case.pk], "assignee": agent.pk}),
    }[name]


def _call(client: Client, case, agent, name: str):
    method, url, data = _request(case, agent, name)
    return getattr(client, method)(url, data)


def _assert_nothing_written(case) -> None:
    case.refresh_from_db()
    assert case.version == 1
    assert case.assignee_id is None
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("name", "user_fixture", "status"),
    [
        ("queue", "agent", 200),
        ("queue", "lead", 200),
        ("mine", "agent", 200),
        ("mine", "lead", 200),
        ("detail", "agent", 200),
        ("detail", "lead", 200),
        ("customer", "agent", 200),
        ("message", "agent", 302),
        ("note", "agent", 302),
        ("status", "agent", 302),
        ("properties", "agent", 302),
        ("assign", "lead", 302),
        ("bulk", "lead", 302),
    ],
)
def test_it_lets_the_teams_workers_use_each_page(request, client_for, case, agent, name, user_fixture, status):
    user = request.getfixturevalue(user_fixture)

    response = _call(client_for(user), case, agent, name)

    assert response.status_code == status
    if status == 302:
        case.refresh_from_db()
        assert case.version == 2


@pytest.mark.parametrize("user_fixture", ["auditor", "compliance_user"])
@pytest.mark.parametrize("name", ["queue", "detail", "customer"])
def test_it_lets_org_wide_readers_read_any_teams_case(request, client_for, case, agent, name, user_fixture):
    response = _call(client_for(request.getfixturevalue(user_fixture)), case, agent, name)

    assert response.status_code == 200
    assert case.reference.encode() in response.content


@pytest.mark.parametrize("user_fixture", ["auditor", "compliance_user"])
@pytest.mark.parametrize("name", ["message", "note", "status", "properties", "assign", "bulk", "mine"])
def test_it_forbids_read_only_roles_to_change_a_case(request, client_for, case, agent, name, user_fixture):
    response = _call(client_for(request.getfixturevalue(user_fixture)), case, agent, name)

    assert response.status_code == 403
    _assert_nothing_written(case)


@pytest.mark.parametrize("name", ["assign", "bulk"])
def test_it_forbids_an_agent_to_triage(client_for, case, agent, name):
    response = _call(client_for(agent), case, agent, name)

    assert response.status_code == 403
    _assert_nothing_written(case)


def test_it_tells_a_read_only_user_why_they_were_refused(client_for, case, agent, auditor):
    response = _call(client_for(auditor), case, agent, "message")

    assert b"You can read this case but not change it." in response.content


@pytest.mark.parametrize("user_fixture", ["outsider", "other_lead", "specialist"])
@pytest.mark.parametrize("name", ["detail", "customer", "message", "note", "status", "properties", "assign"])
def test_it_hides_another_teams_case_from_an_outsider(request, client_for, case, agent, name, user_fixture):
    response = _call(client_for(request.getfixturevalue(user_fixture)), case, agent, name)

    assert response.status_code == 404
    assert b"There is nothing here, or nothing you have access to." in response.content
    _assert_nothing_written(case)


def test_it_answers_an_unknown_reference_like_an_invisible_one(client_for, agent):
    response = client_for(agent).get("/cases/CS-2026-999999/")

    assert response.status_code == 404


def test_it_keeps_another_teams_cases_out_of_an_outsiders_queue(client_for, case, outsider):
    own = CaseFactory(team=outsider.teams.get())

    response = client_for(outsider).get("/cases/")

    assert own.reference.encode() in response.content
    assert case.reference.encode() not in response.content


def test_it_refuses_an_outsiders_bulk_action_on_a_case_they_cannot_see(client_for, case, agent, other_lead):
    response = client_for(other_lead).post(
        "/cases/bulk/", {"action": "assign", "cases": [case.pk], "assignee": ""}, follow=True
    )

    assert response.status_code == 200
    assert f"{case.pk} is not one of the available choices" in response.content.decode()
    _assert_nothing_written(case)


def test_it_sends_an_admin_home_to_the_admin_site(client_for, admin_user):
    response = client_for(admin_user).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize("name", ["queue", "mine", "detail", "customer", "bulk"])
def test_it_shows_an_admin_no_case_data(client_for, case, agent, admin_user, name):
    response = _call(client_for(admin_user), case, agent, name)

    assert response.status_code == 403
    assert case.subject.encode() not in response.content
    assert case.customer.full_name.encode() not in response.content


@pytest.mark.parametrize("name", ["message", "status", "properties", "assign"])
def test_it_does_not_even_confirm_a_case_exists_to_an_admin(client_for, case, agent, admin_user, name):
    response = _call(client_for(admin_user), case, agent, name)

    assert response.status_code == 404
    _assert_nothing_written(case)


@pytest.mark.parametrize(
    ("user_fixture", "landing"),
    [
        ("agent", "/cases/mine/"),
        ("specialist", "/cases/mine/"),
        ("lead", "/cases/"),
        ("auditor", "/cases/"),
        ("compliance_user", "/compliance/"),
    ],
)
def test_it_lands_each_role_on_its_own_page(request, client_for, user_fixture, landing):
    response = client_for(request.getfixturevalue(user_fixture)).get("/")

    assert response.status_code == 302
    assert response["Location"] == landing


@pytest.mark.parametrize(
    "name", ["queue", "mine", "detail", "customer", "message", "status", "properties", "assign", "bulk"]
)
def test_it_sends_an_anonymous_visitor_to_sign_in(client, case, agent, name):
    method, url, data = _request(case, agent, name)

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={url}")
    _assert_nothing_written(case)


def test_it_sends_an_anonymous_visitor_from_home_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_it_ignores_an_inactive_users_old_session(client_for, case, agent):
    client = client_for(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    response = client.get(f"/cases/{case.reference}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("role", "sees", "edits", "assigns"),
    [
        (Role.AGENT, True, True, False),
        (Role.LEAD, True, True, True),
        (Role.SPECIALIST, True, True, False),
        (Role.AUDITOR, True, False, False),
        (Role.COMPLIANCE, True, False, False),
        (Role.FIU, True, False, False),
        (Role.ADMIN, False, False, False),
    ],
)
def test_it_decides_access_by_role_for_a_member_of_the_team(team, case, role, sees, edits, assigns):
    # Org-wide readers see the case whether or not they belong to the team.
    user = UserFactory(role=role, teams=[team])

    assert Case.objects.visible_to(user).filter(pk=case.pk).exists() is sees
    assert can_edit_case(user, case) is edits
    assert can_assign_case(user, case) is assigns


def test_it_sees_nothing_for_an_inactive_user(team, case):
    user = UserFactory(role=Role.LEAD, teams=[team], is_active=False)

    assert not Case.objects.visible_to(user).exists()


def test_it_answers_read_only_with_permission_denied_for_writes(case, auditor):
    from django.core.exceptions import PermissionDenied

    assert get_case_for_user(auditor, case.reference) == case
    with pytest.raises(PermissionDenied):
        get_case_for_user(auditor, case.reference, for_write=True)
