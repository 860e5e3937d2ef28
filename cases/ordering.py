"""Moving a row of an ordered, first-match-wins table (SLA policies, routing rules) up or down."""

from __future__ import annotations

from django.db import models

from audit.services import audit_record


def ordered_move(model: type[models.Model], row: models.Model, direction: str, *, actor, action: str, object_type: str):
    """Swap ``row`` with its neighbour above ("up") or below ("down"); the row, moved.

    Call inside a transaction. Every row of the table is locked, so a concurrent move cannot
    interleave the renumbering; positions become 0..n-1 on the way, so gaps and ties left by
    older data vanish. Moving the first row up (or the last down) changes and records nothing.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    ordered = list(model.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, candidate in enumerate(ordered) if candidate.pk == row.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return ordered[index]
    before = [candidate.pk for candidate in ordered]
    ordered[index], ordered[other] = ordered[other], ordered[index]
    changed = []
    for position, candidate in enumerate(ordered):
        if candidate.position != position:
            candidate.position = position
            changed.append(candidate)
    model.objects.bulk_update(changed, ["position"])
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=row.pk,
        before={"order": before},
        after={"order": [candidate.pk for candidate in ordered], "direction": direction},
    )
    return ordered[other]
