"""Time the outbox: ``python bench/outbox.py [--messages N] [--quick]``.

Runs on its own PostgreSQL database, ``escdesk_bench_outbox`` (migrated, reused), and a
throwaway ``redis-server`` on a spare port (6396). Figures:

- ``outbox_write_ms``: a transaction that writes one outbox row and commits, with the
  after-commit hand-over to a live Redis (claim, publish), against the same row written with
  no hand-over (the median difference is what the hand-over adds to a request);
- ``outbox_write_broker_down_ms``: the same with Redis stopped: the hand-over fails fast and
  the row waits (the first failure pays the connection attempt; later ones skip the broker);
- ``outbox_relay_msgs_per_s``: the relay handing over N rows left behind by an outage.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import database_url_named, ensure_database  # noqa: E402
from bench.run import Figure, report  # noqa: E402

REDIS_PORT = 6396


def setup() -> subprocess.Popen:
    url = database_url_named("escdesk_bench_outbox")
    ensure_database(url)
    redis = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    os.environ.update(DATABASE_URL=url, REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.conf import settings

    # bench.settings keeps mail in memory; this bench is about handing tasks to a real Redis.
    from config.celery import app

    app.conf.broker_url = settings.REDIS_URL
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return redis


def _write(task: bool) -> float:
    """One committed write of a row; with ``task``, through the outbox (row, commit, hand-over)."""
    from django.db import transaction
    from django.utils import timezone

    from outbox.models import OutboxMessage
    from outbox.services import outbox_enqueue

    started = time.perf_counter()
    with transaction.atomic():
        if task:
            outbox_enqueue(task="cases.routing_tasks.route_catch_up_task")
        else:
            now = timezone.now()
            OutboxMessage.objects.create(
                task="cases.routing_tasks.route_catch_up_task",
                created_at=now,
                available_at=now,
                sent_at=now,
                done_at=now,
            )
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    runs, messages = (50, 500) if options.quick else (400, options.messages)
    redis = setup()
    try:
        from outbox import services
        from outbox.models import OutboxMessage

        OutboxMessage.objects.all().delete()
        for _ in range(20):
            _write(True)
        plain = [_write(False) for _ in range(runs)]
        with_task = [_write(True) for _ in range(runs)]
        redis.terminate()
        redis.wait(timeout=10)
        first_down = _write(True)
        services._broker_resting_until = 0.0
        down = []
        for _ in range(runs):
            down.append(_write(True))
        OutboxMessage.objects.all().delete()
        for _ in range(messages):
            _write(True)
        redis = setup()
        services._broker_resting_until = 0.0
        started = time.perf_counter()
        sent = services.outbox_relay().sent
        relay_seconds = time.perf_counter() - started
        if sent != messages:
            sys.exit(f"the relay sent {sent} of {messages}")
        figures = [
            Figure("outbox_write_plain_median_ms", statistics.median(plain), "ms"),
            Figure("outbox_write_median_ms", statistics.median(with_task), "ms"),
            Figure("outbox_write_cost_ms", statistics.median(with_task) - statistics.median(plain), "ms"),
            Figure("outbox_write_broker_down_first_ms", first_down, "ms"),
            Figure("outbox_write_broker_down_median_ms", statistics.median(down), "ms"),
            Figure("outbox_write_broker_down_max_ms", max(down), "ms"),
            Figure("outbox_relay_msgs_per_s", round(messages / relay_seconds), "msgs/s"),
        ]
        report(figures, f"Outbox ({runs} writes each, relay of {messages} rows)")
    finally:
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
