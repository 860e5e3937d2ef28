"""Keeping ``DecisionFact`` rows: the sign-off decisions of a chunk of cases, rewritten with the
cases' facts (``metrics.facts``), so they follow the same refreshes: a case's status change, and
the sweep, which also picks up cases whose flags were decided, voided or submitted since it last
ran. Rewriting is idempotent."""

from __future__ import annotations

from django.db import connection, transaction

from cases.models import Case
from compliance.models import FlagDecision, Referral, RegulatoryFlag
from metrics.models import DecisionFact
from people.choices import TeamKind
from people.models import Team


def decisions_refresh(cases: dict[int, tuple[int, bool]]) -> int:
    """Rewrite the decision facts of ``cases`` (case id -> (team id, restricted)); rows written."""
    DecisionFact.objects.filter(case_id__in=list(cases)).delete()
    found = FlagDecision.objects.filter(flag__case_id__in=list(cases), flag__submitted_at__isnull=False).values_list(
        "pk", "flag__case_id", "decided_at", "flag__submitted_at"
    )
    rows = [
        DecisionFact(
            decision_id=pk,
            case_id=case_id,
            team_id=cases[case_id][0],
            decided_at=decided,
            turnaround=decided - submitted,
        )
        for pk, case_id, decided, submitted in found
        if not cases[case_id][1]
    ]
    DecisionFact.objects.bulk_create(rows)
    return len(rows)


def decisions_rebuild() -> int:
    """Rewrite every decision fact from the source tables in one statement (after a bulk load)."""
    facts, decision, flag = DecisionFact._meta.db_table, FlagDecision._meta.db_table, RegulatoryFlag._meta.db_table
    case, team, referral = Case._meta.db_table, Team._meta.db_table, Referral._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {facts}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {facts} (decision_id, case_id, team_id, decided_at, turnaround)"  # noqa: S608
            f" SELECT d.id, f.case_id, c.team_id, d.decided_at, d.decided_at - f.submitted_at"
            f" FROM {decision} d JOIN {flag} f ON f.id = d.flag_id JOIN {case} c ON c.id = f.case_id"
            f" JOIN {team} t ON t.id = c.team_id"
            f" WHERE f.submitted_at IS NOT NULL AND t.kind <> %s"
            f" AND NOT EXISTS (SELECT 1 FROM {referral} r WHERE r.case_id = f.case_id)",
            [TeamKind.FIU],
        )
        return cursor.rowcount
