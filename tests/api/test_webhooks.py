"""Webhooks: recorded with the change, masked, signed, retried with backoff, logged; and a real
Celery worker on Redis delivering them to a local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from api.tokens import service_account_create
from cases import services
from cases.choices import Channel
from outbox.models import OutboxMessage
from people.choices import Role
from tests.factories import CategoryFactory, CustomerFactory
from tests.integration.conftest import _reference_data_survives_flush, redis_producer, worker_factory  # noqa: F401
from tests.integration.support import TEST_REDIS_URL, process_env, wait_until
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import sign, webhook_deliver, webhook_endpoint_save, webhook_endpoints_changed


class Receiver:
    """A local HTTP receiver that fails the first ``failures`` posts, then answers 204."""

    def __init__(self, failures: int = 0):
        self.failures, self.received = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.received) <= receiver.failures else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(failures=0):
        made.append(Receiver(failures))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _endpoint(user, url, events):
    webhook_endpoints_changed()
    return webhook_endpoint_save(WebhookEndpoint(name="Warehouse", url=url, events=events, service_account=user))


def _open_case(team, customer=None):
    return services.case_create(
        actor=None, customer=customer or CustomerFactory(), subject="Deposit missing", body="Secret body text",
        channel=Channel.EMAIL, category=CategoryFactory(), team=team,
    )  # fmt: skip


def test_events_are_recorded_with_the_change_masked_and_only_for_endpoints_that_may_see(
    team, other_team, django_capture_on_commit_callbacks, monkeypatch
):
    mine = service_account_create(actor=None, username="wh", role=Role.AGENT, integration="WH", teams=[team]).user
    theirs = service_account_create(actor=None, username="wh2", role=Role.AGENT, integration="X", teams=[other_team])
    endpoint = _endpoint(mine, "http://127.0.0.1:9/hook", ["case.created", "case.status_changed"])
    _endpoint(theirs.user, "http://127.0.0.1:9/other", ["case.created"])
    with django_capture_on_commit_callbacks(execute=True):
        case = _open_case(team, CustomerFactory(email="jane.roe@example.com"))
        services.case_change_status(actor=None, case=case, to_status="open", expected_version=None)
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [(d.endpoint_id, d.event) for d in deliveries] == [
        (endpoint.pk, "case.created"), (endpoint.pk, "case.status_changed")
    ]  # fmt: skip
    queued = OutboxMessage.objects.filter(task="webhooks.tasks.deliver_webhook").order_by("id")
    assert [message.args for message in queued] == [[d.pk] for d in deliveries]
    payload = deliveries[0].payload
    assert payload["case"]["reference"] == case.reference
    assert payload["case"]["customer"]["email"] == "j***@example.com"
    assert "Secret body text" not in json.dumps(payload) and "jane.roe" not in json.dumps(payload)
    assert deliveries[1].payload["data"] == {"from": "new", "to": "open"}


def test_a_rolled_back_change_leaves_no_delivery(team, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr("webhooks.tasks.deliver_webhook.delay", lambda pk: None)
    user = service_account_create(actor=None, username="wh", role=Role.AGENT, integration="WH", teams=[team]).user
    _endpoint(user, "http://127.0.0.1:9/hook", ["case.created"])
    with pytest.raises(RuntimeError), transaction.atomic():
        _open_case(team)
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_is_signed_retried_with_backoff_and_logged(team, receiver, settings, monkeypatch):
    settings.WEBHOOK_BACKOFF_SECONDS = 10
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    monkeypatch.setattr("webhooks.tasks.deliver_webhook.delay", lambda pk: None)
    hook = receiver(failures=1)
    user = service_account_create(actor=None, username="wh", role=Role.AGENT, integration="WH", teams=[team]).user
    endpoint = _endpoint(user, hook.url, ["case.created"])
    _open_case(team)
    delivery = WebhookDelivery.objects.get()

    first = webhook_deliver(delivery_id=delivery.pk)
    assert first.status == "retry" and first.retry_in == 10
    assert webhook_deliver(delivery_id=delivery.pk).status == "skipped"  # not due yet
    later = timezone.now() + timedelta(seconds=11)
    assert webhook_deliver(delivery_id=delivery.pk, now=later).status == "delivered"

    headers, body = hook.received[-1]
    expected = (
        "sha256="
        + hmac.new(
            endpoint.secret.encode(), headers["X-Desk-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert headers["X-Desk-Signature"] == expected == sign(endpoint.secret, headers["X-Desk-Timestamp"], body)
    assert headers["X-Desk-Event"] == "case.created" and headers["X-Desk-Delivery"] == delivery.delivery_id
    assert json.loads(body)["id"] == delivery.delivery_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 204)
    assert list(WebhookAttempt.objects.order_by("number").values_list("status_code", flat=True)) == [500, 204]
    assert webhook_deliver(delivery_id=delivery.pk, now=later).status == "skipped"  # never twice


def test_a_delivery_gives_up_after_its_attempts(team, settings, monkeypatch):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_BACKOFF_SECONDS = 0
    monkeypatch.setattr("webhooks.tasks.deliver_webhook.delay", lambda pk: None)
    user = service_account_create(actor=None, username="wh", role=Role.AGENT, integration="WH", teams=[team]).user
    _endpoint(user, "http://127.0.0.1:9/unreachable", ["case.created"])
    _open_case(team)
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk).status == "retry"
    assert webhook_deliver(delivery_id=delivery.pk).status == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_delivers_retries_and_logs(worker_factory, redis_producer, receiver):  # noqa: F811
    from tests.factories import TeamFactory, ensure_reference_data

    ensure_reference_data()
    team = TeamFactory()
    hook = receiver(failures=2)
    user = service_account_create(actor=None, username="wh", role=Role.AGENT, integration="WH", teams=[team]).user
    _endpoint(user, hook.url, ["case.created"])
    env = process_env(redis_url=TEST_REDIS_URL) | {"WEBHOOK_BACKOFF_SECONDS": "0.5"}
    worker = worker_factory(env=env, queues="notifications")
    worker.wait_for_log("ready.", timeout=30)
    case = _open_case(team)  # commits: the delivery is queued on the notifications queue

    def delivered():
        return WebhookDelivery.objects.filter(status="succeeded").exists()

    assert wait_until(delivered, timeout=30, interval=0.2), worker.log()
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3 and delivery.case_reference == case.reference
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 500, 204]
    assert len(hook.received) == 3
    # Each attempt is signed afresh over the same body.
    bodies = {body for _, body in hook.received}
    assert len(bodies) == 1
