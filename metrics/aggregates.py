"""SQL aggregates the definitions are written with: exact percentiles on every database.

PostgreSQL computes ``percentile_cont`` itself (one ordered-set aggregate per column, several
fractions from one sort). SQLite has no ordered-set aggregates, so there the database counts how
many rows have each distinct value (``GROUP BY value``) and the same continuous percentile is
interpolated from those counts: a loop over distinct values, never over rows, and the same
answer ``percentile_cont`` gives.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, QuerySet

MEDIAN_P90 = (0.5, 0.9)


class PercentilesCont(Aggregate):
    """``percentile_cont(ARRAY[f1, f2]) WITHIN GROUP (ORDER BY expr)``: PostgreSQL only."""

    function = "percentile_cont"
    name = "PercentilesCont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions: Sequence[float], **extra):
        listed = ", ".join(f"{float(f):.4f}" for f in fractions)
        super().__init__(expression, fractions=listed, output_field=ArrayField(FloatField()), **extra)


def use_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def percentile_from_counts(counts: Sequence[tuple], fraction: float):
    """``percentile_cont(fraction)`` of the multiset given as sorted ``(value, count)`` pairs.

    Position ``fraction * (n - 1)`` in the sorted values (0-based); between two values it is
    interpolated linearly, as PostgreSQL does.
    """
    if counts and isinstance(counts[0][0], timedelta):
        # Durations (an interval column): interpolate in seconds, answer a duration as PostgreSQL does.
        seconds = percentile_from_counts([(value.total_seconds(), n) for value, n in counts], fraction)
        return timedelta(seconds=seconds)
    total = sum(n for _, n in counts)
    if total == 0:
        return None
    position = fraction * (total - 1)
    lower_index, upper_index = math.floor(position), math.ceil(position)
    lower = upper = None
    seen = 0
    for value, n in counts:
        if lower is None and lower_index < seen + n:
            lower = value
        if upper_index < seen + n:
            upper = value
            break
        seen += n
    return float(lower) + (float(upper) - float(lower)) * (position - lower_index)


def summarize(qs: QuerySet, *, counts: dict, percentiles: dict[str, str], fractions=MEDIAN_P90) -> dict:
    """Counts/sums and percentiles of ``qs`` in as few queries as the database allows.

    ``counts`` maps names to aggregate expressions; ``percentiles`` maps names to a field whose
    ``fractions`` percentiles are wanted, answered as ``{name: [p50, p90]}`` (Nones when empty).
    PostgreSQL: one query. SQLite: one, plus one ``GROUP BY value`` per percentile field.
    """
    qs = qs.order_by()
    if use_percentile_cont():
        row = qs.aggregate(
            **counts, **{f"_p_{name}": PercentilesCont(field, fractions) for name, field in percentiles.items()}
        )
        out = {name: row[name] for name in counts}
        for name in percentiles:
            values = row[f"_p_{name}"]
            out[name] = list(values) if values else [None] * len(fractions)
        return out
    out = qs.aggregate(**counts) if counts else {}
    for name, field in percentiles.items():
        pairs = list(qs.filter(**{f"{field}__isnull": False}).values_list(field).annotate(n=Count("*")).order_by(field))
        out[name] = [percentile_from_counts(pairs, f) for f in fractions]
    return out


def grouped_percentiles(qs: QuerySet, *, group: dict, field: str, fractions=MEDIAN_P90) -> dict:
    """Percentiles of ``field`` per group (``group`` maps names to expressions), one query.

    Answers ``{group_tuple: {"p": [p50, p90], "n": rows}}`` (``n`` counts rows with or without a
    value). On SQLite the rows are grouped by (group, value) and interpolated per group.
    """
    names = list(group)
    qs = qs.order_by().annotate(**group)
    if use_percentile_cont():
        rows = qs.values(*names).annotate(_p=PercentilesCont(field, fractions), _n=Count("*"))
        return {
            tuple(row[n] for n in names): {"p": list(row["_p"] or [None] * len(fractions)), "n": row["_n"]}
            for row in rows
        }
    rows = qs.values(*names, field).annotate(_n=Count("*")).order_by(*names, field)
    pairs: dict[tuple, list[tuple[float, int]]] = defaultdict(list)
    totals: dict[tuple, int] = defaultdict(int)
    for row in rows:
        key = tuple(row[n] for n in names)
        totals[key] += row["_n"]
        if row[field] is not None:
            pairs[key].append((row[field], row["_n"]))
    return {
        key: {"p": [percentile_from_counts(pairs.get(key, []), f) for f in fractions], "n": total}
        for key, total in totals.items()
    }
