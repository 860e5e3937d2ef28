"""How PII is shown: masked for everyone by default, in full only during a logged reveal.

Masked values are enough to recognise a customer, not to misuse their data. Whether a viewer
sees a customer's field in full is decided here and nowhere else: pages, the API and exports
all ask :func:`customer_pii_for` (or :func:`customer_pii_fields` for the reveal controls),
which reads the viewer's unexpired reveals (``cases.pii.pii_reveal`` writes them, with a reason
and an audit event). Notification text masks any e-mail address in it (people.notifications).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.utils import timezone


class PiiField(models.TextChoices):
    """The customer fields that are personal information (``Customer`` attribute names)."""

    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    GOVERNMENT_ID = "government_id_last4", "Government ID"


# The government ID is only ever stored as its last four characters, which is what the masked
# form shows: there is nothing more to reveal, so it offers no reveal.
REVEALABLE_FIELDS = (PiiField.EMAIL, PiiField.PHONE, PiiField.DATE_OF_BIRTH)


def mask_email(value: str) -> str:
    local, _, domain = (value or "").partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_tail(value: str, keep: int = 4) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isalnum())
    if not digits:
        return ""
    return "•••• " + digits[-keep:]


def mask_date_of_birth(value: date | None) -> str:
    return str(value.year) if value else ""


def _masked(field: str, raw) -> str:
    if field == PiiField.EMAIL:
        return mask_email(raw)
    if field == PiiField.DATE_OF_BIRTH:
        return mask_date_of_birth(raw)
    return mask_tail(raw)


def _in_full(field: str, raw) -> str:
    if raw in (None, ""):
        return ""
    if field == PiiField.DATE_OF_BIRTH:
        return raw.isoformat()
    return str(raw)


@dataclass(frozen=True)
class PiiShown:
    """One PII field as one viewer may see it right now."""

    field: str
    label: str
    value: str
    masked: bool
    # Whether a reveal would show more than the masked value (never for an empty field).
    revealable: bool
    # When the reveal that unmasked it runs out (None while masked).
    expires_at: datetime | None = None

    def __str__(self) -> str:
        return self.value


def active_reveals(
    viewer, customer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, dict[str, datetime]]:
    """``{customer_id: {field: expires_at}}`` for the viewer's unexpired reveals: one query.

    Pass every customer of a page at once so a list costs one query, not one per row.
    """
    from cases.models import PiiReveal

    ids = list(customer_ids)
    if not ids or not getattr(viewer, "pk", None):
        return {}
    now = now or timezone.now()
    found: dict[int, dict[str, datetime]] = {}
    rows = PiiReveal.objects.filter(viewer_id=viewer.pk, customer_id__in=ids, expires_at__gt=now).values_list(
        "customer_id", "field", "expires_at"
    )
    for customer_id, field, expires_at in rows:
        fields = found.setdefault(customer_id, {})
        if field not in fields or expires_at > fields[field]:
            fields[field] = expires_at
    return found


def customer_pii_fields(
    viewer, customer, *, now: datetime | None = None, reveals: dict[int, dict[str, datetime]] | None = None
) -> list[PiiShown]:
    """Every PII field of ``customer`` as ``viewer`` may see it now, in display order.

    A field is shown in full only while the viewer holds an unexpired reveal of it; otherwise
    it is masked, whatever the viewer's role. ``reveals`` (from :func:`active_reveals`) lets a
    caller that shows many customers read the reveals once; without it this runs one query.
    Who may *make* a reveal is decided by ``cases.pii.pii_may_reveal``; this function only
    honours reveals that were made (and audited).
    """
    if reveals is None:
        reveals = active_reveals(viewer, [customer.pk], now=now)
    held = reveals.get(customer.pk, {})
    shown = []
    for field in PiiField:
        raw = getattr(customer, field.value)
        expires_at = held.get(field.value) if field in REVEALABLE_FIELDS else None
        if expires_at is not None:
            shown.append(PiiShown(field.value, field.label, _in_full(field, raw), False, False, expires_at))
        else:
            revealable = field in REVEALABLE_FIELDS and raw not in (None, "")
            shown.append(PiiShown(field.value, field.label, _masked(field, raw), True, revealable))
    return shown


def customer_pii_for(
    viewer, customer, *, now: datetime | None = None, reveals: dict[int, dict[str, datetime]] | None = None
) -> dict[str, str]:
    """``{"email", "phone", "date_of_birth", "government_id_last4"}`` -> what ``viewer`` may see.

    The one answer for every output (pages, API, exports): masked (``j***@example.com``,
    ``•••• 0142``, ``1961``) unless the viewer holds an unexpired, audited reveal of that field
    of that customer, in which case the full value (a date of birth as ``YYYY-MM-DD``).
    """
    return {item.field: item.value for item in customer_pii_fields(viewer, customer, now=now, reveals=reveals)}
