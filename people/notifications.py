"""Notifications: the bell (in-app rows) and the e-mail copy sent after commit.

Notification text is written by the caller and must be safe for anyone it is addressed to:
say which case and what happened, never restricted content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from outbox.services import outbox_enqueue
from people.models import Notification, User

logger = logging.getLogger(__name__)

# Notification text goes to the bell and to e-mail, where no reveal applies: any e-mail address
# a caller put in it is masked like cases.masking.mask_email (``j***@example.com``). ``people``
# sits below ``cases``, so the rule is restated here rather than imported.
_EMAIL_IN_TEXT = re.compile(r"([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_emails_in_text(text: str) -> str:
    """Free text with every e-mail address in it masked to its first letter and domain."""
    return _EMAIL_IN_TEXT.sub(lambda match: f"{match[1][:1]}***@{match[2]}", text or "")


@dataclass(frozen=True)
class Message:
    """One notification to write for each of ``recipient_ids``."""

    recipient_ids: Sequence[int]
    kind: str
    title: str
    body: str = ""
    url: str = ""


def _user_id(user: User | int) -> int:
    return user if isinstance(user, int) else user.pk


def notify(
    recipients: Iterable[User | int | None], *, kind: str, title: str, body: str = "", url: str = "", now: datetime
) -> list[Notification]:
    """Notify each person once, however often they appear in ``recipients``; inactive users
    and ``None`` are skipped. E-mail copies go out after the caller's transaction commits."""
    ids = [_user_id(user) for user in recipients if user is not None]
    return notify_many([Message(recipient_ids=ids, kind=kind, title=title, body=body, url=url)], now=now)


def notify_many(messages: Iterable[Message], *, now: datetime) -> list[Notification]:
    """Write many notifications in three queries whatever their number (the SLA sweep's batches).

    Each message reaches each of its recipients once; inactive users get nothing.
    """
    messages = list(messages)
    wanted = {user_id for message in messages for user_id in message.recipient_ids}
    if not wanted:
        return []
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    rows = [
        Notification(
            recipient_id=user_id,
            kind=message.kind,
            title=mask_emails_in_text(message.title)[:200],
            body=mask_emails_in_text(message.body),
            url=message.url[:300],
            created_at=now,
        )
        for message in messages
        for user_id in dict.fromkeys(message.recipient_ids)
        if user_id in active
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    # Through the outbox, in the caller's transaction: a rolled-back change e-mails nobody, the
    # worker can read the rows it is asked to send, and a broker outage (or a worker killed
    # right after the commit) delays the e-mail copies instead of losing them.
    outbox_enqueue(task="people.tasks.send_notification_emails", args=[[row.pk for row in created]])
    return created


def notification_mark_read(user: User, ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Mark the user's unread notifications read (only ``ids`` if given); returns how many
    changed. Other people's notifications are never touched, whatever ids are passed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())


def notifications_unread_count(user: User) -> int:
    """The number on the bell (served by people_notif_unread_idx)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _claim_unsent(ids: Iterable[int], *, now: datetime) -> list[int]:
    """Mark ``ids`` e-mailed where nobody has yet and return the ones this call marked.

    One conditional UPDATE ... RETURNING: two workers handed the same ids cannot both get a
    row, on PostgreSQL (row locks) or SQLite (one writer at a time).
    """
    ids = [int(pk) for pk in ids]
    if not ids:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET emailed_at = %s WHERE emailed_at IS NULL AND id IN ({placeholders}) RETURNING id",  # noqa: S608 - only placeholders are interpolated
            [connection.ops.adapt_datetimefield_value(now), *ids],
        )
        return [row[0] for row in cursor.fetchall()]


def _release(ids: Iterable[int]) -> None:
    Notification.objects.filter(pk__in=list(ids)).update(emailed_at=None)


def notification_emails_send(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Send the e-mail copy of each notification not e-mailed yet; returns how many were sent.

    Rows are claimed (committed) before sending, so a duplicate task finds nothing to do. If
    the mail server fails, the rows not yet sent are released for the retry and the error is
    raised; people without an e-mail address are claimed and skipped.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = _claim_unsent(ids, now=now)
    if not claimed:
        return 0
    rows = list(Notification.objects.filter(pk__in=claimed).select_related("recipient").order_by("id"))
    pending = [row for row in rows if row.recipient.email and row.recipient.is_active]
    sent = 0
    with get_connection() as mail:
        for position, row in enumerate(pending):
            link = f"{settings.SITE_URL.rstrip('/')}{row.url}" if row.url else ""
            message = EmailMessage(
                subject=row.title,
                body="\n\n".join(part for part in (row.body, link) if part),
                to=[row.recipient.email],
                connection=mail,
            )
            try:
                message.send()
            except Exception:
                _release(unsent.pk for unsent in pending[position:])
                raise
            sent += 1
    return sent
