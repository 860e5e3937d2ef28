"""Twenty people change one case at the same moment through the API, against a live server:
per version exactly one change wins, every other gets 412, and the timeline has each winning
change once and nothing from the losers."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from django.utils import timezone

from api.tokens import token_issue
from audit.models import AuditEvent
from cases import services
from cases.choices import EventKind
from cases.models import Case, CaseEvent, Category, Customer
from people.choices import Role, TeamKind
from people.models import Membership, Team, User
from tests.integration.conftest import _reference_data_survives_flush  # noqa: F401 - restores reference data
from tests.integration.support import process_env, restore_reference_data

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

WRITERS = 20
ROUNDS = 3


@pytest.fixture
def busy_case():
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind=TeamKind.FRONTLINE, time_zone="UTC")
    leads = []
    # One more lead than writers: each round every writer hands the case to someone who does not
    # hold it yet (handing it to its holder is a no-op the service answers 200 without a change).
    for n in range(WRITERS + 1):
        lead = User.objects.create_user(f"lead{n:02d}", role=Role.LEAD)
        Membership.objects.create(user=lead, team=team)
        leads.append(lead)
    case = services.case_create(
        actor=None,
        customer=Customer.objects.create(
            account_number="ACC-0000042",
            full_name="Jane Roe",
            email="jane.roe@example.com",
            jurisdiction="US-CA",
            account_opened_at=timezone.now(),
        ),
        subject="Withdrawal pending for three days",
        body="My withdrawal has been pending since Monday.",
        channel="email",
        category=Category.objects.get(code="withdrawals"),
        team=team,
    )
    tokens = [token_issue(actor=None, user=lead, name="race").secret for lead in leads[:WRITERS]]
    return case, leads, tokens


def _race(sessions: list[requests.Session], url: str, usernames: list[str], etag: str) -> list[tuple[int, int, dict]]:
    """Writer n hands the case to usernames[n], all at once, all based on the version ``etag``."""
    start = threading.Barrier(len(sessions))
    answers: list[tuple[int, int, dict]] = []

    def change(n: int) -> None:
        start.wait(timeout=30)
        response = sessions[n].post(url, json={"assignee": usernames[n]}, headers={"If-Match": etag}, timeout=30)
        answers.append((n, response.status_code, response.json()))

    threads = [threading.Thread(target=change, args=(n,)) for n in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_twenty_concurrent_updates_one_wins_per_version_and_the_timeline_keeps_each_once(
    busy_case, redis_server, web_server
):
    case, leads, tokens = busy_case
    web = web_server(process_env(redis_url=redis_server.url()), workers=2, threads=10)
    url = f"{web.base}/api/v1/cases/{case.reference}/assignee/"
    sessions = []
    for token in tokens:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        session.get(f"{web.base}/api/v1/cases/{case.reference}/", timeout=10).raise_for_status()  # warm connections
        sessions.append(session)
    winners = []

    for round_number in range(ROUNDS):
        etag = sessions[0].get(f"{web.base}/api/v1/cases/{case.reference}/", timeout=10).headers["ETag"]
        case.refresh_from_db()
        targets = [lead for lead in leads if lead.pk != case.assignee_id][:WRITERS]
        answers = _race(sessions, url, [lead.username for lead in targets], etag)

        statuses = Counter(status for _, status, _ in answers)
        assert len(answers) == WRITERS and statuses[200] == 1, (round_number, statuses, answers)
        assert set(statuses) <= {200, 409, 412}, answers
        for _, status, body in answers:
            if status != 200:
                assert body["error"] == "stale_version" and body["detail"], body
        [winner] = [n for n, status, _ in answers if status == 200]
        winners.append(winner)
        case.refresh_from_db()
        assert case.assignee == targets[winner] and case.version == 1 + round_number + 1
        last_assignee = targets[winner]

    events = list(CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNMENT).order_by("id"))
    assert [event.actor_id for event in events] == [leads[n].pk for n in winners]
    assert Case.objects.get(pk=case.pk).assignee == last_assignee
    assert AuditEvent.objects.filter(object_id=case.reference, action="case.assign").count() == ROUNDS
