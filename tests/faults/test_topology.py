"""The production stack runs a worker for every queue the app sends to, each queue group its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import app

pytestmark = pytest.mark.faults

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _queues_sent_to() -> set[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return routed | {settings.CELERY_TASK_DEFAULT_QUEUE}


def test_every_queue_has_its_own_worker_service_in_docker_compose():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    consumed: dict[str, list[str]] = {}
    for name, service in services.items():
        command = service.get("command")
        if isinstance(command, list) and "worker" in command:
            consumed[name] = command[command.index("-Q") + 1].split(",")
    assert sorted(queue for queues in consumed.values() for queue in queues) == sorted(_queues_sent_to())
    assert all(len(queues) == 1 for queues in consumed.values()), consumed
    assert _queues_sent_to() == {"sla", "routing", "notifications", "default"}


def test_sweeps_routing_mail_and_the_relay_land_on_their_queues():
    route = app.amqp.router.route
    assert route({}, "cases.tasks.sla_sweep_task")["queue"].name == "sla"
    assert route({}, "compliance.tasks.obligation_sweep_task")["queue"].name == "sla"
    assert route({}, "outbox.tasks.outbox_relay_task")["queue"].name == "sla"
    assert route({}, "cases.routing_tasks.route_case_task")["queue"].name == "routing"
    assert route({}, "people.tasks.send_notification_emails")["queue"].name == "notifications"
    assert route({}, "webhooks.tasks.deliver_webhook")["queue"].name == "notifications"
    assert route({}, "metrics.tasks.facts_refresh_task")["queue"].name == "default"
