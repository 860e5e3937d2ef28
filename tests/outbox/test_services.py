"""The outbox: rows written with the change, handed to the broker once, again only if lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox import services
from outbox.models import OutboxMessage
from outbox.services import outbox_enqueue, outbox_mark_done, outbox_publish, outbox_purge, outbox_relay

pytestmark = pytest.mark.django_db

TASK = "cases.routing_tasks.route_catch_up_task"


@pytest.fixture
def published(monkeypatch):
    """What reaches the broker (the tests below are about which rows go, not about Redis)."""
    sent: list[tuple[str, list, int]] = []

    def send_task(name, args=None, kwargs=None, headers=None, **options):
        sent.append((name, args, headers["outbox_id"]))

    monkeypatch.setattr(current_app, "send_task", send_task)
    monkeypatch.setattr(services, "_broker_resting_until", 0.0)
    return sent


@pytest.fixture
def broker_down(monkeypatch):
    def send_task(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", send_task)
    monkeypatch.setattr(services, "_broker_resting_until", 0.0)


def test_a_rolled_back_change_leaves_nothing_to_send(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(task=TASK, args=[1])
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists() and published == []


def test_it_is_handed_over_after_commit_once(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(task=TASK, args=[7, "new"], kwargs={})
        assert published == []
    assert published == [(TASK, [7, "new"], message.pk)]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    # The relay finds nothing left to send.
    assert outbox_relay().sent == 0 and len(published) == 1


def test_with_the_broker_down_the_row_waits_for_the_relay(broker_down, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(task=TASK, args=[1])
    message.refresh_from_db()
    assert message.sent_at is None and "Connection refused" in message.last_error
    # The next change in this process does not try the broker again for a few seconds.
    assert services.broker_resting()
    assert outbox_publish(ids=[message.pk]).sent == 0

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append(kw["headers"]["outbox_id"]))
    assert outbox_relay().sent == 1 and sent == [message.pk]
    assert outbox_relay().sent == 0 and sent == [message.pk]


def test_a_delayed_row_waits_until_it_is_due(published):
    now = timezone.now()
    message = outbox_enqueue(task=TASK, args=[1], delay=timedelta(minutes=60))
    assert published == []
    assert outbox_relay(now=now + timedelta(minutes=59)).sent == 0
    assert outbox_relay(now=now + timedelta(minutes=61)).sent == 1
    assert published == [(TASK, [1], message.pk)]


def test_a_row_the_broker_lost_is_handed_over_again_and_a_done_row_never(published, settings):
    lost = outbox_enqueue(task=TASK, args=[1])
    done = outbox_enqueue(task=TASK, args=[2])
    now = timezone.now()
    assert outbox_relay(now=now).sent == 2
    assert outbox_mark_done(message_id=done.pk) is True
    assert outbox_mark_done(message_id=done.pk) is False
    redeliver = timedelta(minutes=settings.OUTBOX["REDELIVER_AFTER_MINUTES"])
    assert outbox_relay(now=now + redeliver - timedelta(seconds=1)).sent == 0
    assert outbox_relay(now=now + redeliver + timedelta(seconds=1)).sent == 1
    assert [pk for _, _, pk in published] == [lost.pk, done.pk, lost.pk]
    lost.refresh_from_db()
    assert lost.attempts == 2


def test_done_rows_are_cleared_after_a_while(published, settings):
    message = outbox_enqueue(task=TASK, args=[1])
    now = timezone.now()
    assert outbox_relay(now=now).sent == 1
    outbox_mark_done(message_id=message.pk, now=now)
    assert outbox_purge(now=now + timedelta(days=settings.OUTBOX["KEEP_DONE_DAYS"], seconds=-1)) == 0
    assert outbox_purge(now=now + timedelta(days=settings.OUTBOX["KEEP_DONE_DAYS"], seconds=1)) == 1
    assert not OutboxMessage.objects.exists()
