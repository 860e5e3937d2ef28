"""PostgreSQL restarts under a running app: writes in flight either complete or are refused with
a clear 503, and the app serves again as soon as the server is back, without being restarted.

A throwaway cluster on a spare port (initdb/pg_ctl as the ``postgres`` user) holds a copy of the
test database; gunicorn serves the app on it with persistent, health-checked connections.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg2
import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.tokens import token_issue
from cases import services
from cases.models import Category, Customer
from people.choices import Role, TeamKind
from people.models import Membership, Team, User
from tests.faults.support import PostgresCluster, postgres_bin, timed
from tests.integration.conftest import _reference_data_survives_flush  # noqa: F401 - restores reference data
from tests.integration.support import current_database_url, process_env, restore_reference_data

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(servers) -> PostgresCluster:
    """A copy of the test database (with an agent, a token, a session and a case) on its own server."""
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind=TeamKind.FRONTLINE, time_zone="UTC")
    ana = User.objects.create_user("ana", role=Role.AGENT, email="ana@desk.example")
    Membership.objects.create(user=ana, team=team)
    customer = Customer.objects.create(
        account_number="ACC-0000042",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=timezone.now(),
    )
    case = services.case_create(
        actor=ana,
        customer=customer,
        subject="Withdrawal pending for three days",
        body="My withdrawal has been pending since Monday.",
        channel="email",
        category=Category.objects.get(code="withdrawals"),
        team=team,
    )
    client = Client()
    client.force_login(ana)
    fixture = {"reference": case.reference, "token": token_issue(actor=None, user=ana, name="db test").secret}
    fixture["session"] = client.cookies["sessionid"].value
    connection.close()

    # Under /tmp itself: the postgres user cannot enter pytest's private temporary directories.
    home = Path(tempfile.mkdtemp(prefix="escdesk-faults-pg-"))
    shutil.chown(home, "postgres", "postgres")
    db = PostgresCluster(home / "data")
    servers.append(db)
    db.init()
    db.start()
    subprocess.run(
        [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(db.port), "-U", "postgres", "desk"], check=True
    )
    dump = subprocess.run(
        [postgres_bin("pg_dump"), "--no-owner", "--no-privileges", current_database_url()],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [postgres_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", db.url("desk")],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )
    db.fixture = fixture
    return db


def _replies(db: PostgresCluster, marker: str) -> list[str]:
    with psycopg2.connect(db.url("desk")) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT body FROM cases_caseevent WHERE body LIKE %s", [f"{marker}%"])
        return [row[0] for row in cursor.fetchall()]


def test_the_app_refuses_cleanly_while_postgres_is_down_and_recovers_without_a_restart(
    cluster, redis_server, web_server
):
    env = process_env(redis_url=redis_server.url())
    env.update(DATABASE_URL=cluster.url("desk"), DATABASE_CONNECT_TIMEOUT="2")
    web = web_server(env)
    reference, marker = cluster.fixture["reference"], "In-flight reply"
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {cluster.fixture['token']}"
    page = requests.Session()
    page.cookies.set("sessionid", cluster.fixture["session"])
    assert page.get(f"{web.base}/cases/{reference}/", timeout=10).status_code == 200
    assert api.get(f"{web.base}/api/v1/cases/{reference}/", timeout=10).status_code == 200

    # Writers keep replying while the server goes down and comes back.
    outcomes: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def writer(number: int) -> None:
        attempt = 0
        session = requests.Session()
        session.headers["Authorization"] = api.headers["Authorization"]
        while not stop.is_set():
            attempt += 1
            body = f"{marker} {number}-{attempt}"
            response = session.post(f"{web.base}/api/v1/cases/{reference}/replies/", json={"body": body}, timeout=30)
            outcomes.append((body, response.status_code, response.text))
            time.sleep(0.05)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    time.sleep(0.5)
    cluster.stop()

    down_api, api_seconds = timed(lambda: api.get(f"{web.base}/api/v1/cases/{reference}/", timeout=30))
    down_page, page_seconds = timed(lambda: page.get(f"{web.base}/cases/{reference}/", timeout=30))
    health = requests.get(f"{web.base}/healthz", timeout=30)
    time.sleep(0.5)
    cluster.start()
    time.sleep(0.5)
    stop.set()
    for thread in writers:
        thread.join(timeout=30)

    assert down_api.status_code == 503 and down_api.headers["Retry-After"] == "5"
    assert down_api.json() == {
        "error": "service_unavailable",
        "detail": "The database is unavailable right now; nothing was saved. Try again in a few seconds.",
    }
    assert down_page.status_code == 503 and "briefly unavailable" in down_page.text
    assert health.status_code == 503
    assert api_seconds < 5 and page_seconds < 5, (api_seconds, page_seconds)

    # Every write in flight either happened (201, and it is there once) or was refused (503, and
    # nothing of it is there); never a 500.
    statuses = {status for _, status, _ in outcomes}
    assert statuses <= {201, 503}, [o for o in outcomes if o[1] not in (201, 503)]
    assert 503 in statuses, "no write hit the outage"
    stored = _replies(cluster, marker)
    assert sorted(stored) == sorted(body for body, status, _ in outcomes if status == 201)

    # Back without restarting gunicorn: pages, reads and writes.
    assert page.get(f"{web.base}/cases/{reference}/", timeout=10).status_code == 200
    assert api.get(f"{web.base}/api/v1/cases/{reference}/", timeout=10).status_code == 200
    after = api.post(f"{web.base}/api/v1/cases/{reference}/replies/", json={"body": f"{marker} after"}, timeout=10)
    assert after.status_code == 201, after.text
    assert f"{marker} after" in _replies(cluster, marker)
    assert web.child.running()
