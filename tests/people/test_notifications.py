"""Notifications: who gets them, the unread count, marking read, and one e-mail copy each."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction

from config.celery import app
from outbox.models import OutboxMessage
from people.choices import Role
from people.models import Notification
from people.notifications import (
    Message,
    notification_mark_read,
    notifications_unread_count,
    notify,
    notify_many,
)
from people.tasks import send_notification_emails
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://desk.example.com"
    FlakyBackend.failures_left = 0


class FlakyBackend(LocmemBackend):
    """A mail server that refuses the next ``failures_left`` messages, then recovers."""

    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left:
            FlakyBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", email="ana@desk.example", role=Role.AGENT)


@pytest.fixture
def lena(db):
    return UserFactory(username="lena", email="lena@desk.example", role=Role.LEAD)


def test_each_person_is_notified_once_and_people_who_left_not_at_all(ana, lena):
    gone = UserFactory(username="gone", is_active=False)

    created = notify(
        [ana, lena, ana, None, gone, lena.pk],
        kind="sla.breach",
        title="CS-2026-000123: first response SLA breached",
        url="/cases/CS-2026-000123/",
        now=NOW,
    )

    assert sorted(n.recipient.username for n in created) == ["ana", "lena"]
    row = Notification.objects.get(recipient=ana)
    assert (row.kind, row.title, row.url, row.created_at, row.read_at) == (
        "sla.breach",
        "CS-2026-000123: first response SLA breached",
        "/cases/CS-2026-000123/",
        NOW,
        None,
    )
    assert not Notification.objects.filter(recipient=gone).exists()


def test_many_messages_are_written_in_three_queries(ana, lena, django_assert_num_queries):
    messages = [
        Message(recipient_ids=[ana.pk, lena.pk], kind="sla.warning", title=f"CS-2026-{n:06d}: due soon")
        for n in range(20)
    ]

    # Active recipients, the rows, and one outbox row for all their e-mail copies.
    with django_assert_num_queries(3):
        created = notify_many(messages, now=NOW)

    assert len(created) == 40


def test_nobody_to_tell_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify([], kind="sla.breach", title="x", now=NOW) == []


def test_the_unread_count_and_marking_read(ana, lena):
    mine = [NotificationFactory(recipient=ana) for _ in range(3)]
    theirs = NotificationFactory(recipient=lena)
    assert notifications_unread_count(ana) == 3

    # Someone else's id is ignored, not marked.
    assert notification_mark_read(ana, ids=[mine[0].pk, theirs.pk], now=NOW) == 1

    assert notifications_unread_count(ana) == 2
    assert notifications_unread_count(lena) == 1
    mine[0].refresh_from_db()
    assert mine[0].read_at == NOW
    assert notification_mark_read(ana) == 2
    assert notification_mark_read(ana) == 0
    assert notifications_unread_count(ana) == 0


def test_the_email_copy_is_queued_after_commit_and_sent_exactly_once(ana, lena, django_capture_on_commit_callbacks):
    no_address = UserFactory(username="noemail", email="")
    with django_capture_on_commit_callbacks() as callbacks:
        created = notify(
            [ana, lena, no_address],
            kind="sla.breach",
            title="CS-2026-000123: resolution SLA breached",
            body="The resolution target of CS-2026-000123 was due at 2026-03-10 11:00 UTC.",
            url="/cases/CS-2026-000123/",
            now=NOW,
        )
    assert len(callbacks) == 1
    assert mail.outbox == []

    # The task the outbox row asks for, run in-process as a worker would.
    [queued] = OutboxMessage.objects.filter(task="people.tasks.send_notification_emails")
    assert queued.args == [[n.pk for n in created]]
    send_notification_emails(*queued.args)
    # A duplicate delivery of the same task, and a retry of it.
    send_notification_emails([n.pk for n in created])
    send_notification_emails.apply(args=[[n.pk for n in created]])

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@desk.example", "lena@desk.example"]
    message = mail.outbox[0]
    assert message.subject == "CS-2026-000123: resolution SLA breached"
    assert message.body.endswith("https://desk.example.com/cases/CS-2026-000123/")
    assert "was due at 2026-03-10 11:00 UTC" in message.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_rolled_back_change_emails_nobody(ana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notify([ana], kind="sla.breach", title="never happened", now=NOW)
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert not Notification.objects.exists()


def test_a_mail_server_failure_releases_the_unsent_rows_for_the_retry(ana, lena, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    first = NotificationFactory(recipient=ana, title="First")
    second = NotificationFactory(recipient=lena, title="Second")
    FlakyBackend.failures_left = 1

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_emails([first.pk, second.pk])

    assert mail.outbox == []
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    assert send_notification_emails([first.pk, second.pk]) == 2
    assert send_notification_emails([first.pk, second.pk]) == 0
    assert [m.subject for m in mail.outbox] == ["First", "Second"]


def test_the_email_task_runs_on_the_notifications_queue():
    assert app.amqp.router.route({}, "people.tasks.send_notification_emails")["queue"].name == "notifications"
