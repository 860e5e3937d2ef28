"""Redis down: agents keep working, and the work their changes asked for happens once Redis is back.

A real redis-server on a spare port (no persistence: a restart loses its queues), a real Celery
worker and beat on it, and the app served by gunicorn. With Redis stopped, an agent opens,
updates, escalates and resolves cases through the API and the pages; every answer is normal
and quick. Once Redis is back, routing, the e-mail copy of a notification, the webhooks, the
CSAT survey and the SLA breach all happen, each exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests
import time_machine
from celery import Celery
from django.test import Client
from django.utils import timezone

from api.tokens import service_account_create, token_issue
from cases import services
from cases.choices import EventKind, Status
from cases.models import Case, CaseEvent, Category, Customer, RoutingDecision, SlaPolicy, SlaPolicyVersion, SlaTimer
from escalations.models import ReasonCode
from metrics.models import Survey
from outbox.models import OutboxMessage
from people.choices import Role, TeamKind
from people.models import Membership, Notification, Shift, Team, User
from tests.faults.support import start_beat, timed, wait_for
from tests.integration.conftest import _reference_data_survives_flush  # noqa: F401 - restores reference data
from tests.integration.support import process_env, restore_reference_data
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_save

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A request may take a moment on this shared machine, but never a broker timeout's worth.
QUICK_SECONDS = 5.0


def _member(username: str, team: Team, *, role: str, on_shift: bool | None = None, email: str = "") -> User:
    user = User.objects.create_user(username, role=role, time_zone="UTC", first_name=username.title(), email=email)
    Membership.objects.create(user=user, team=team)
    if on_shift is not None:
        now = timezone.now()
        start = (now - timedelta(hours=1)) if on_shift else (now + timedelta(hours=3))
        Shift.objects.create(
            user=user, weekday=start.weekday(), starts_at=start.time(), ends_at=(start + timedelta(hours=2)).time()
        )
    return user


@pytest.fixture
def desk(webhook_receiver):
    """A team with an agent working (off shift, so routing passes her over), one on shift, a fraud
    team's lead, a customer, an hour-long first-response promise, a case already past it, and a
    webhook endpoint for case events."""
    restore_reference_data()
    team = Team.objects.create(name="Manila L1", slug="manila-l1", kind=TeamKind.FRONTLINE, time_zone="UTC")
    fraud = Team.objects.create(name="Fraud", slug="fraud", kind=TeamKind.FRAUD, time_zone="UTC")
    ana = _member("ana", team, role=Role.AGENT, on_shift=False, email="ana@desk.example")
    maria = _member("maria", team, role=Role.AGENT, on_shift=True, email="maria@desk.example")
    fred = _member("fred", fraud, role=Role.LEAD, email="fred@desk.example")
    now = timezone.now()
    policy = SlaPolicy.objects.create(name="Around the clock", created_at=now)
    policy.current_version = SlaPolicyVersion.objects.create(
        policy=policy, number=1, first_response_minutes=60, resolution_minutes=None, created_at=now
    )
    policy.save(update_fields=["current_version"])
    customer = Customer.objects.create(
        account_number="ACC-0000042",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=now - timedelta(days=400),
    )
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        overdue = services.case_create(
            actor=None,
            customer=customer,
            subject="Card payment declined twice",
            body="My card was declined at the grocery store.",
            channel="email",
            category=Category.objects.get(code="card"),
            team=team,
        )
        # Routed long ago (to nobody): the outage test is about what happens during the outage.
        OutboxMessage.objects.update(done_at=now - timedelta(hours=2), sent_at=now - timedelta(hours=2))
    hooks = service_account_create(actor=None, username="warehouse", role=Role.AGENT, integration="WH", teams=[team])
    webhook_endpoint_save(
        WebhookEndpoint(
            name="Warehouse",
            url=webhook_receiver.url,
            events=["case.created", "case.status_changed"],
            service_account=hooks.user,
        )
    )
    client = Client()
    client.force_login(ana)
    return {
        "ana": ana,
        "maria": maria,
        "fred": fred,
        "customer": customer,
        "overdue": overdue,
        "token": token_issue(actor=None, user=ana, name="fault test").secret,
        "session": client.cookies["sessionid"].value,
        "reason": ReasonCode.objects.order_by("position").first().code,
    }


def _publish_sweep(redis_url: str) -> None:
    """Send the SLA sweep once, as beat does every minute (a producer of its own on that Redis)."""
    with Celery(broker=redis_url, set_as_current=False) as producer:
        producer.send_task("cases.tasks.sla_sweep_task", queue="sla")


def test_with_redis_down_agents_keep_working_and_the_work_happens_once_it_is_back(
    desk, redis_server, worker_factory, web_server, servers, tmp_path, webhook_receiver
):
    env = process_env(redis_url=redis_server.url())
    env.update(
        OUTBOX_RELAY_SECONDS="1",
        CSAT_SURVEY_DELAY_MINUTES="0",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    worker = worker_factory(env=env, queues="default,sla,routing,notifications")
    beat = start_beat(env, tmp_path)
    servers.append(beat)
    web = web_server(env)
    worker.wait_for_log("ready.", timeout=30)

    redis_server.stop()

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {desk['token']}"
    pages = requests.Session()
    pages.cookies.set("sessionid", desk["session"])
    answers = []

    def call(method, path, **kwargs):
        response, seconds = timed(lambda: getattr(api if path.startswith("/api/") else pages, method)(
            f"{web.base}{path}", timeout=30, allow_redirects=False, **kwargs
        ))  # fmt: skip
        answers.append((method, path, response.status_code, round(seconds, 2)))
        return response

    created = call(
        "post",
        "/api/v1/cases/",
        json={
            "customer": "ACC-0000042",
            "subject": "Withdrawal pending for three days",
            "body": "My withdrawal of 0.5 BTC has been pending since Monday.",
            "channel": "email",
            "category": "withdrawals",
        },
    )
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    waiting_case = call(
        "post",
        "/api/v1/cases/",
        json={
            "customer": "ACC-0000042",
            "subject": "Card declined at checkout",
            "body": "My card is declined everywhere since this morning.",
            "channel": "chat",
            "category": "card",
        },
    )
    assert waiting_case.status_code == 201, waiting_case.text
    unrouted = Case.objects.get(reference=waiting_case.json()["reference"])
    overdue = desk["overdue"].reference
    assert call("get", f"/cases/{reference}/").status_code == 200
    assert call("get", "/cases/").status_code == 200
    assert call("get", f"/api/v1/cases/{reference}/").status_code == 200
    reply = call("post", f"/api/v1/cases/{reference}/replies/", json={"body": "We are looking into it now."})
    assert reply.status_code == 201, reply.text
    escalated = call(
        "post", f"/api/v1/cases/{overdue}/escalations/", json={"to_team": "fraud", "reason": desk["reason"]}
    )
    assert escalated.status_code == 201, escalated.text
    for to_status in ("open", "resolved"):
        changed = call("post", f"/api/v1/cases/{reference}/status/", json={"to_status": to_status, "reason": "Paid."})
        assert changed.status_code == 200, changed.text
    assert call("get", f"/cases/{reference}/").status_code == 200

    assert [a for a in answers if a[3] > QUICK_SECONDS] == [], answers
    case = Case.objects.get(reference=reference)
    assert case.status == Status.RESOLVED
    # The new case's SLA timer was started by the request itself (it lives in the database).
    assert SlaTimer.objects.filter(case=case).exists()
    # Nothing that needs a worker has happened, and nothing is lost: it waits in the outbox.
    waiting = Counter(OutboxMessage.objects.filter(done_at__isnull=True).values_list("task", flat=True))
    assert waiting["cases.routing_tasks.route_case_task"] == 2
    deliveries = Counter(WebhookDelivery.objects.values_list("event", flat=True))
    assert deliveries["case.created"] == 2 and deliveries["case.status_changed"] >= 1, deliveries
    assert waiting["webhooks.tasks.deliver_webhook"] == deliveries.total()
    assert waiting["people.tasks.send_notification_emails"] == 1  # the fraud lead hears of the escalation
    assert waiting["metrics.tasks.send_csat_survey"] == 1
    assert not RoutingDecision.objects.filter(case__in=[case, unrouted]).exists()
    assert webhook_receiver.received == []
    assert not Survey.objects.filter(case=case).exists()
    notice = Notification.objects.get(recipient=desk["fred"])
    assert notice.emailed_at is None
    assert not CaseEvent.objects.filter(case=desk["overdue"], kind=EventKind.SLA, data__event="breached").exists()

    redis_server.start()
    _publish_sweep(redis_server.url())

    def all_done() -> bool:
        return (
            not OutboxMessage.objects.filter(done_at__isnull=True).exists()
            and Survey.objects.filter(case=case).exists()
        )

    wait_for(all_done, timeout=45, what="the outbox draining", logs=[worker, beat, web.child])
    wait_for(
        lambda: CaseEvent.objects.filter(case=desk["overdue"], data__event="breached").exists(),
        timeout=30,
        what="the SLA breach",
        logs=[worker],
    )
    wait_for(
        lambda: len(webhook_receiver.received) >= deliveries.total(), timeout=30, what="the webhooks", logs=[worker]
    )
    # Two more relay rounds and a second sweep: anything sent twice would show now.
    _publish_sweep(redis_server.url())
    worker.wait_for_log("cases.tasks.sla_sweep_task", timeout=20, count=4)
    wait_for(lambda: beat.log().count("outbox.tasks.outbox_relay_task") >= 2, timeout=20, what="relay runs")

    # The case left open was routed, once; the one resolved meanwhile was left alone.
    unrouted.refresh_from_db()
    assert unrouted.assignee == desk["maria"]
    assert RoutingDecision.objects.filter(case=unrouted).count() == 1
    assert Case.objects.get(pk=case.pk).assignee is None
    events = Counter(headers["X-Desk-Event"] for headers, _ in webhook_receiver.received)
    assert events == deliveries, webhook_receiver.received
    assert len({headers["X-Desk-Delivery"] for headers, _ in webhook_receiver.received}) == deliveries.total()
    assert Survey.objects.filter(case=case).count() == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    log = worker.log()
    assert log.count(f"Subject: How did we do? Your case {reference}") == 1, log
    assert log.count("To: fred@desk.example") == 1, log
    breaches = CaseEvent.objects.filter(case=desk["overdue"], kind=EventKind.SLA, data__event="breached")
    assert breaches.count() == 1
    print("answers while Redis was down:", answers)
