"""The bell and the notification list: what a person sees, marking read, and nobody else's rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from people.models import Notification
from tests.factories import NotificationFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def bell(html: str) -> str:
    match = re.search(r'<a class="bell[^"]*"[^>]*aria-label="([^"]+)"', html)
    assert match, "no bell in the top bar"
    return match.group(1)


def titles(html: str) -> list[str]:
    block = html.split('id="notifications"')[1].split("</ol>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<div>(.*?)</div>", block, re.S)
    ]


@pytest.fixture
def agent_client(client_for, agent):
    return client_for(agent)


def test_the_bell_shows_how_many_notifications_are_unread(agent_client, agent, second_agent):
    for minutes in (1, 2, 3):
        NotificationFactory(recipient=agent, created_at=NOW - timedelta(minutes=minutes))
    NotificationFactory(recipient=agent, read_at=NOW)
    NotificationFactory(recipient=second_agent)

    html = agent_client.get("/cases/mine/").content.decode()

    assert bell(html) == "Notifications: 3 unread"
    assert '<span class="bell-count">3</span>' in html


def test_the_bell_has_no_count_when_everything_is_read(agent_client, agent):
    NotificationFactory(recipient=agent, read_at=NOW)

    html = agent_client.get("/cases/mine/").content.decode()

    assert bell(html) == "Notifications: 0 unread"
    assert "bell-count" not in html


def test_the_bell_is_counted_on_the_unread_index(agent_client, agent):
    # A person with a long read history and one new notification: the bell must not read the history.
    Notification.objects.bulk_create(
        Notification(recipient=agent, kind="sla.warning", title=f"Old {n}", created_at=NOW, read_at=NOW)
        for n in range(3000)
    )
    NotificationFactory(recipient=agent)
    with CaptureQueriesContext(connection) as captured:
        html = agent_client.get("/cases/mine/").content.decode()
    assert bell(html) == "Notifications: 1 unread"
    [count_sql] = [q["sql"] for q in captured.captured_queries if 'FROM "people_notification"' in q["sql"]]
    assert "COUNT(*)" in count_sql

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_notification")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "people_notif_unread_idx" in plan


def test_the_list_shows_my_notifications_newest_first_with_unread_highlighted(agent_client, agent, second_agent, case):
    old = NotificationFactory(recipient=agent, title="Old, read", created_at=NOW - timedelta(days=2), read_at=NOW)
    new = NotificationFactory(
        recipient=agent,
        title=f"{case.reference}: first response due in 12 minutes",
        url=f"/cases/{case.reference}/",
        created_at=NOW - timedelta(minutes=5),
    )
    NotificationFactory(recipient=second_agent, title="Someone else's")

    html = agent_client.get("/notifications/").content.decode()

    assert titles(html) == [f"Unread {new.title}", old.title]
    assert f'<li class="unread" id="notification-{new.pk}">' in html
    assert f'<li class="" id="notification-{old.pk}">' in html
    assert f'<a href="/cases/{case.reference}/">{new.title}</a>' in html
    assert "Someone else's" not in html


def test_a_link_that_leaves_the_site_is_not_followed(agent_client, agent):
    NotificationFactory(recipient=agent, title="Odd", url="https://elsewhere.example/phish")
    NotificationFactory(recipient=agent, title="Odder", url="//elsewhere.example/phish")

    html = agent_client.get("/notifications/").content.decode()

    assert "elsewhere.example" not in html
    assert "Odd" in html


def test_the_list_is_paginated(agent_client, agent):
    for minutes in range(30):
        NotificationFactory(recipient=agent, title=f"Note {minutes:02d}", created_at=NOW - timedelta(minutes=minutes))

    first = agent_client.get("/notifications/").content.decode()
    second = agent_client.get("/notifications/?page=2").content.decode()

    assert len(titles(first)) == 25
    assert titles(first)[0] == "Unread Note 00"
    assert titles(second) == [f"Unread Note {n:02d}" for n in range(25, 30)]
    assert "Page 1 of 2" in first


def test_marking_one_read(agent_client, agent):
    target = NotificationFactory(recipient=agent)
    other = NotificationFactory(recipient=agent)

    response = agent_client.post(f"/notifications/{target.pk}/read/", {"page": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=1"
    target.refresh_from_db()
    other.refresh_from_db()
    assert target.read_at == NOW
    assert other.read_at is None
    assert bell(agent_client.get("/notifications/").content.decode()) == "Notifications: 1 unread"


def test_nobody_marks_someone_elses_notification(agent_client, second_agent):
    theirs = NotificationFactory(recipient=second_agent)

    response = agent_client.post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_all_read_leaves_other_peoples_alone(agent_client, agent, second_agent):
    mine = [NotificationFactory(recipient=agent) for _ in range(3)]
    theirs = NotificationFactory(recipient=second_agent)

    response = agent_client.post("/notifications/read/")

    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=NOW).count() == 3
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Marked 3 notifications as read." in agent_client.get("/notifications/").content.decode()


def test_marking_read_needs_a_post_with_a_csrf_token(agent, client_for):
    note = NotificationFactory(recipient=agent)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)

    assert client_for(agent).get(f"/notifications/{note.pk}/read/").status_code == 405
    assert strict.post(f"/notifications/{note.pk}/read/").status_code == 403
    assert strict.post("/notifications/read/").status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications/")["Location"].startswith("/login/?next=")
    assert client.post("/notifications/read/")["Location"].startswith("/login/?next=")
