"""The outbox: ask for a Celery task inside a transaction; it runs once the change commits.

``outbox_enqueue`` writes a row in the caller's transaction and, after commit, tries to hand
it to the broker at once (``outbox_publish``). If the broker is unreachable the request is not
held up: the publish fails fast (short connect timeout, one retry), the row stays unsent and
the relay (``outbox.tasks.outbox_relay_task``, every few seconds from beat) sends it once the
broker is back. Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and a committed
``sent_at`` before publishing, so two relays, or a relay and the after-commit publish, never
hand over the same row twice. A worker marks the row done when its task has run; a row handed
over and not done after ``REDELIVER_AFTER`` (the broker lost it) is handed over again. Every
task sent this way is idempotent, so that rare second delivery is harmless.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# Per process: after a failed publish, requests skip the broker for a few seconds rather than
# each paying a connection attempt; the relay sends what they left behind.
_broker_resting_until = 0.0


def _setting(name: str) -> float:
    return settings.OUTBOX[name]


def outbox_enqueue(
    *, task: str, args: Sequence = (), kwargs: dict | None = None, delay: timedelta | None = None
) -> OutboxMessage:
    """Record that ``task(*args, **kwargs)`` must run after the current transaction commits
    (not before ``delay`` from now). Nothing runs if the transaction rolls back."""
    now = timezone.now()
    message = OutboxMessage.objects.create(
        task=task,
        args=list(args),
        kwargs=kwargs or {},
        created_at=now,
        available_at=now + delay if delay else now,
    )
    if not delay:
        pk = message.pk
        # robust: the change is committed and is what counts; a failure here is logged only.
        transaction.on_commit(lambda: outbox_publish(ids=[pk]), robust=True)
    return message


def broker_resting() -> bool:
    return time.monotonic() < _broker_resting_until


def _rest_broker() -> None:
    global _broker_resting_until
    _broker_resting_until = time.monotonic() + _setting("BROKER_PAUSE_SECONDS")


def _no_commit_wait() -> None:
    """This transaction's commit does not wait for the disk (PostgreSQL): a claim or a done mark
    lost in a crash only means an idempotent task is handed over once more, and not waiting
    halves what asking for a task costs a request."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _claim_these(ids: Sequence[int], *, now: datetime) -> list[OutboxMessage]:
    """The after-commit path: mark ``ids`` sent where still unsent and due, in one statement.

    The UPDATE locks each row; if the relay holds one, it waits for the relay's commit and then
    finds the row sent, so a row is never handed over twice.
    """
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        _no_commit_wait()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET sent_at = %s, attempts = attempts + 1 "  # noqa: S608 - only placeholders are interpolated
                f"WHERE id IN ({placeholders}) AND sent_at IS NULL AND available_at <= %s "
                "RETURNING id, task, args, kwargs",
                [at, *ids, at],
            )
            rows = cursor.fetchall()

    def loaded(value):
        # PostgreSQL's driver parses JSON columns; SQLite hands back the text.
        return json.loads(value) if isinstance(value, str) else value

    return [OutboxMessage(id=pk, task=task, args=loaded(a), kwargs=loaded(kw)) for pk, task, a, kw in rows]


def _claim(*, ids: Sequence[int] | None, now: datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to ``limit`` due rows sent (committed) and return them: unsent rows first, then
    rows handed over long ago and never done. Rows another publisher holds are skipped."""
    if ids is not None:
        return _claim_these(list(ids), now=now)
    with transaction.atomic():
        _no_commit_wait()
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True, available_at__lte=now)
        # outbox_unsent_idx
        picked = list(
            unsent.select_for_update(skip_locked=True)
            .order_by("available_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if len(picked) < limit:
            lost = OutboxMessage.objects.filter(
                done_at__isnull=True, sent_at__lte=now - timedelta(minutes=_setting("REDELIVER_AFTER_MINUTES"))
            )
            # outbox_unfinished_idx
            picked += list(
                lost.select_for_update(skip_locked=True)
                .order_by("sent_at", "id")
                .values_list("id", flat=True)[: limit - len(picked)]
            )
        if not picked:
            return []
        OutboxMessage.objects.filter(pk__in=picked).update(sent_at=now, attempts=F("attempts") + 1)
        return list(OutboxMessage.objects.filter(pk__in=picked).order_by("id"))


@dataclass
class PublishResult:
    sent: int = 0
    failed: int = 0


def outbox_publish(*, ids: Sequence[int] | None = None, now: datetime | None = None, limit: int = 500) -> PublishResult:
    """Hand due rows (only ``ids`` if given) to the broker. On the first broker error the rows
    not yet handed over are released for the relay and the error is logged, never raised."""
    result = PublishResult()
    if ids is not None and broker_resting():
        return result
    now = now or timezone.now()
    rows = _claim(ids=ids, now=now, limit=limit)
    for position, row in enumerate(rows):
        try:
            # send_task routes by name (CELERY_TASK_ROUTES); retry=False with the short broker
            # timeouts in settings keeps a request from waiting on a broker that is down.
            current_app.send_task(
                row.task, args=row.args, kwargs=row.kwargs, headers={"outbox_id": row.pk}, retry=False
            )
        except Exception as exc:  # any broker failure: leave the rest for the relay
            _rest_broker()
            unsent = [r.pk for r in rows[position:]]
            OutboxMessage.objects.filter(pk__in=unsent).update(
                sent_at=None, last_error=f"{type(exc).__name__}: {exc}"[:500]
            )
            result.failed = len(unsent)
            logger.warning("Broker unreachable; %s outbox message(s) left for the relay: %s", len(unsent), exc)
            break
        result.sent += 1
    return result


def outbox_mark_done(*, message_id: int, now: datetime | None = None) -> bool:
    """The task of ``message_id`` has run (the worker calls this); returns False if it already had."""
    with transaction.atomic():
        _no_commit_wait()
        done = OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(done_at=now or timezone.now())
    return bool(done)


def outbox_purge(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Delete rows done longer ago than ``KEEP_DONE_DAYS`` (at most ``limit`` per call)."""
    now = now or timezone.now()
    old = OutboxMessage.objects.filter(done_at__lt=now - timedelta(days=_setting("KEEP_DONE_DAYS")))
    ids = list(old.order_by("done_at").values_list("id", flat=True)[:limit])
    return OutboxMessage.objects.filter(pk__in=ids).delete()[0] if ids else 0


def outbox_relay(*, now: datetime | None = None) -> PublishResult:
    """Beat, every few seconds: hand over everything due, then clear out old done rows."""
    total = PublishResult()
    while True:
        batch = outbox_publish(now=now)
        total.sent += batch.sent
        total.failed += batch.failed
        if batch.failed or batch.sent < 500:
            break
    outbox_purge(now=now)
    return total
