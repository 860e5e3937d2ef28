"""QA coaching: the weekly sample of each agent's resolved cases, scorecards, and score trends.

The sample is drawn by the system so review is fair: every resolved case of the week is a
candidate, regulatory-sensitive categories weigh ``SENSITIVE_WEIGHT`` times more, and the draw
is weighted sampling without replacement (Efraimidis-Spirakis) keyed by a hash of the week,
the agent and the case, so the same week always draws the same cases and nobody can pick.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from audit.services import audit_record
from cases.choices import Status
from cases.models import Case
from knowledge.choices import SCORE_MAX, SCORE_MIN, SCORECARD_TRANSITIONS, RubricItem, ScorecardStatus
from knowledge.errors import KnowledgeError
from knowledge.models import QaSample, Scorecard, ScorecardScore
from people.choices import Role
from people.models import User
from people.roles import can_triage
from people.selectors import team_ids_of

SAMPLE_PER_AGENT = 3
SENSITIVE_WEIGHT = 3


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def draw_key(*, week: date, agent_id: int, case_id: int, weight: int) -> float:
    """The sampling key u^(1/w) with u from a hash: larger keys are drawn first."""
    digest = hashlib.sha256(f"{week.isoformat()}:{agent_id}:{case_id}".encode()).digest()
    u = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 2)
    return u ** (1 / weight)


def draw(candidates: list[tuple[int, int, bool]], *, week: date, per_agent: int) -> list[tuple[int, int, int]]:
    """Pure: from ``(agent_id, case_id, sensitive)`` pick up to ``per_agent`` cases per agent.
    Returns ``(agent_id, case_id, weight)``."""
    by_agent: dict[int, list[tuple[float, int, int]]] = {}
    for agent_id, case_id, sensitive in candidates:
        weight = SENSITIVE_WEIGHT if sensitive else 1
        key = draw_key(week=week, agent_id=agent_id, case_id=case_id, weight=weight)
        by_agent.setdefault(agent_id, []).append((key, case_id, weight))
    picked = []
    for agent_id, keyed in sorted(by_agent.items()):
        for _, case_id, weight in sorted(keyed, reverse=True)[:per_agent]:
            picked.append((agent_id, case_id, weight))
    return picked


def qa_sample_draw(*, week: date, per_agent: int = SAMPLE_PER_AGENT, now: datetime | None = None) -> int:
    """Draw the sample for the week starting ``week`` (a Monday) for every agent with resolved
    cases that week and no sample yet; returns cases drawn. Idempotent: agents already drawn
    for the week are skipped, and a duplicated run hits the unique constraint and writes nothing.
    """
    if week.weekday() != 0:
        raise KnowledgeError("A QA week starts on a Monday.")
    now = now or timezone.now()
    start = datetime.combine(week, time.min, tzinfo=UTC)
    end = start + timedelta(days=7)
    done = set(QaSample.objects.filter(week_start=week).values_list("agent_id", flat=True).distinct())
    candidates = [
        (agent_id, case_id, sensitive)
        for agent_id, case_id, sensitive in Case.objects.filter(
            resolved_at__gte=start,
            resolved_at__lt=end,
            status__in=[Status.RESOLVED, Status.CLOSED],
            assignee__role=Role.AGENT,
            qa_samples__isnull=True,
        )
        .values_list("assignee_id", "pk", "category__regulatory_sensitive")
        .order_by("pk")
        if agent_id not in done
    ]
    picked = draw(candidates, week=week, per_agent=per_agent)
    if not picked:
        return 0
    try:
        with transaction.atomic():
            QaSample.objects.bulk_create(
                QaSample(agent_id=a, case_id=c, week_start=week, weight=w, drawn_at=now) for a, c, w in picked
            )
            audit_record(
                actor=None, action="qa.sample", object_type="qa_week", object_id=week.isoformat(),
                after={"cases": len(picked), "agents": len({a for a, _, _ in picked})},
            )  # fmt: skip
    except IntegrityError:
        return 0
    return len(picked)


def qa_samples_for_review(*, user, week: date | None = None) -> QuerySet[QaSample]:
    """Samples of agents in the lead's teams, newest week first, with case and scorecard."""
    if not can_triage(user):
        return QaSample.objects.none()
    qs = QaSample.objects.filter(agent__memberships__team_id__in=team_ids_of(user)).distinct()
    if week is not None:
        qs = qs.filter(week_start=week)
    return qs.select_related("agent", "case", "case__category", "scorecard").order_by("-week_start", "agent_id", "pk")


def _clean_scores(scores: dict[str, tuple[object, str]]) -> tuple[list[tuple[str, int, str]], dict[str, list[str]]]:
    cleaned, problems = [], {}
    for item in RubricItem:
        raw, comment = scores.get(item.value, (None, ""))
        if raw in (None, ""):
            problems[item.value] = [f"Score {item.label.lower()}."]
            continue
        try:
            value = int(str(raw))
        except ValueError:
            problems[item.value] = [f"{item.label}: a whole number from {SCORE_MIN} to {SCORE_MAX}."]
            continue
        if not SCORE_MIN <= value <= SCORE_MAX:
            problems[item.value] = [f"{item.label}: scores run from {SCORE_MIN} to {SCORE_MAX}."]
            continue
        cleaned.append((item.value, value, (comment or "").strip()[:500]))
    for key in scores:
        if key not in RubricItem.values:
            problems.setdefault("__all__", []).append(f"{key!r} is not on the rubric.")
    return cleaned, problems


@transaction.atomic
def scorecard_submit(
    *, actor: User, sample: QaSample, scores: dict[str, tuple[object, str]], comment: str = ""
) -> Scorecard:
    """A lead's scorecard for a sampled case: every rubric item scored SCORE_MIN..SCORE_MAX.
    Raises KnowledgeError with the problems by item; nothing is written then."""
    sample = QaSample.objects.select_for_update().select_related("agent").get(pk=sample.pk)
    if not can_triage(actor) or not set(team_ids_of(actor)) & set(team_ids_of(sample.agent)):
        raise KnowledgeError("Only a lead of the agent's team reviews their cases.", status_code=403)
    if actor.pk == sample.agent_id:
        raise KnowledgeError("Nobody reviews their own cases.", status_code=403)
    if Scorecard.objects.filter(sample=sample).exists():
        raise KnowledgeError("This case already has a scorecard.", status_code=409)
    cleaned, problems = _clean_scores(scores)
    if problems:
        raise KnowledgeError("The scorecard was not saved; score every rubric item.", problems=problems)
    now = timezone.now()
    card = Scorecard.objects.create(
        sample=sample,
        agent=sample.agent,
        reviewer=actor,
        comment=comment.strip(),
        total=sum(score for _, score, _ in cleaned),
        created_at=now,
    )
    ScorecardScore.objects.bulk_create(
        ScorecardScore(scorecard=card, item=item, score=score, comment=note) for item, score, note in cleaned
    )
    audit_record(
        actor=actor, action="qa.scorecard", object_type="scorecard", object_id=card.pk,
        after={"case": sample.case_id, "agent": sample.agent_id, "scores": {i: s for i, s, _ in cleaned}},
    )  # fmt: skip
    from people.notifications import notify

    notify(
        [sample.agent_id],
        kind="qa.scorecard",
        title="A QA scorecard is waiting for you",
        url="/knowledge/qa/mine/",
        now=now,
    )
    return card


@transaction.atomic
def scorecard_respond(*, actor: User, scorecard: Scorecard, to_status: str, response: str = "") -> Scorecard:
    """The agent acknowledges or disputes their scorecard (a dispute says why). Idempotent for
    the same answer; raises KnowledgeError for anyone else or a second, different answer."""
    card = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if actor.pk != card.agent_id:
        raise KnowledgeError("Only the agent reviewed answers a scorecard.", status_code=403)
    if card.status == to_status:
        return card
    target = ScorecardStatus(to_status) if to_status in ScorecardStatus.values else None
    if target is None or target not in SCORECARD_TRANSITIONS[ScorecardStatus(card.status)]:
        raise KnowledgeError("This scorecard has already been answered.", status_code=409)
    if target == ScorecardStatus.DISPUTED and not response.strip():
        raise KnowledgeError("Say what you dispute.", problems={"response": ["Say what you dispute."]})
    before = {"status": card.status}
    card.status = target
    card.agent_response = response.strip()
    card.responded_at = timezone.now()
    card.save(update_fields=["status", "agent_response", "responded_at"])
    audit_record(
        actor=actor, action="qa.respond", object_type="scorecard", object_id=card.pk,
        before=before, after={"status": card.status},
    )  # fmt: skip
    return card


def scorecards_of(*, agent: User) -> list[Scorecard]:
    """An agent's scorecards with their scores and cases, newest first (two queries)."""
    return list(
        Scorecard.objects.filter(agent=agent)
        .select_related("sample__case", "reviewer")
        .prefetch_related("scores")
        .order_by("-created_at", "-id")
    )


def qa_score_trend(
    *, since: datetime, until: datetime, agent_ids: list[int] | None = None, by_item: bool = True
) -> list[dict]:
    """Mean QA score per week, agent (and rubric item), in SQL: what the dashboard reads.

    Rows ``{"week", "agent_id", "item", "mean", "scorecards"}`` ordered by week, agent, item;
    without ``by_item`` the mean over all items per scorecard week (``item`` is None).
    """
    qs = ScorecardScore.objects.filter(scorecard__created_at__gte=since, scorecard__created_at__lt=until)
    if agent_ids is not None:
        qs = qs.filter(scorecard__agent_id__in=agent_ids)
    keys = ["week", "scorecard__agent_id"] + (["item"] if by_item else [])
    rows = (
        qs.annotate(week=TruncWeek("scorecard__created_at"))
        .values(*keys)
        .annotate(mean=Avg("score"), scorecards=Count("scorecard_id", distinct=True))
        .order_by(*keys)
    )
    return [
        {
            "week": row["week"].date() if hasattr(row["week"], "date") else row["week"],
            "agent_id": row["scorecard__agent_id"],
            "item": row.get("item"),
            "mean": round(float(row["mean"]), 2),
            "scorecards": row["scorecards"],
        }
        for row in rows
    ]
