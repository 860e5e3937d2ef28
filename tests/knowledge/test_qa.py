"""QA coaching: the weekly draw, scorecards, the agent's answer, the trend; reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cases.choices import Status
from knowledge import qa, services
from knowledge.errors import KnowledgeError
from knowledge.models import AckReminder, QaSample, Scorecard, ScorecardScore
from people.models import Notification
from tests.factories import CaseFactory, CategoryFactory
from tests.knowledge.conftest import published

pytestmark = pytest.mark.django_db
WEEK = date(2026, 3, 2)  # a Monday


def resolved(agent, team, *, category="withdrawals", day=1):
    at = datetime(2026, 3, 2, 10, tzinfo=UTC) + timedelta(days=day)
    return CaseFactory(team=team, assignee=agent, status=Status.RESOLVED, category=CategoryFactory(code=category),
                       received_at=at - timedelta(hours=2), updated_at=at)  # fmt: skip


def test_the_draw_is_deterministic_weighted_and_idempotent():
    candidates = [(1, case_id, case_id % 2 == 0) for case_id in range(1, 201)]
    first = qa.draw(candidates, week=WEEK, per_agent=60)
    assert first == qa.draw(candidates, week=WEEK, per_agent=60)
    sensitive = sum(1 for _, case_id, _ in first if case_id % 2 == 0)
    assert sensitive > 34  # an unweighted draw expects 30 of 60; three times the weight draws more


def test_the_weekly_sample_draws_per_agent_once(agent, second_agent, team):
    for day in range(5):
        resolved(agent, team, day=day)
        resolved(second_agent, team, category="scam-fraud", day=day)
    resolved(agent, team, day=9)  # the next week

    assert qa.qa_sample_draw(week=WEEK, per_agent=3) == 6
    assert qa.qa_sample_draw(week=WEEK, per_agent=3) == 0
    assert QaSample.objects.filter(agent=agent).count() == 3
    assert set(QaSample.objects.filter(agent=second_agent).values_list("weight", flat=True)) == {3}


def scores(**overrides):
    base = dict.fromkeys(("flag_identification", "script_used", "tone", "accuracy", "resolution"), (4, ""))
    base.update(overrides)
    return base


def test_a_scorecard_with_missing_or_out_of_range_scores_is_refused_whole(lead, agent, team):
    resolved(agent, team)
    qa.qa_sample_draw(week=WEEK)
    sample = QaSample.objects.get()
    missing = scores()
    del missing["tone"]
    with pytest.raises(KnowledgeError) as exc:
        qa.scorecard_submit(actor=lead, sample=sample, scores=missing)
    assert "tone" in exc.value.problems
    with pytest.raises(KnowledgeError) as exc:
        qa.scorecard_submit(actor=lead, sample=sample, scores=scores(accuracy=(9, "")))
    assert "accuracy" in exc.value.problems
    assert not Scorecard.objects.exists() and not ScorecardScore.objects.exists()


def test_a_scorecard_flows_to_the_agent_who_disputes_it_and_into_the_trend(lead, agent, team, client_for):
    resolved(agent, team)
    qa.qa_sample_draw(week=WEEK)
    sample = QaSample.objects.get()
    card = qa.scorecard_submit(actor=lead, sample=sample, scores=scores(tone=(2, "Too curt")), comment="Good catch")
    assert card.total == 18
    assert "Too curt" in client_for(agent).get("/knowledge/qa/mine/").content.decode()
    with pytest.raises(KnowledgeError, match="Say what you dispute"):
        qa.scorecard_respond(actor=agent, scorecard=card, to_status="disputed")
    qa.scorecard_respond(actor=agent, scorecard=card, to_status="disputed", response="The customer was abusive.")
    with pytest.raises(KnowledgeError):
        qa.scorecard_respond(actor=agent, scorecard=card, to_status="acknowledged")

    now = card.created_at
    rows = qa.qa_score_trend(since=now - timedelta(days=7), until=now + timedelta(days=1), agent_ids=[agent.pk])
    assert {r["item"]: r["mean"] for r in rows}["tone"] == 2.0
    overall = qa.qa_score_trend(since=now - timedelta(days=7), until=now + timedelta(days=1), by_item=False)
    assert overall[0]["mean"] == 3.6 and overall[0]["scorecards"] == 1


def test_only_a_lead_of_the_agents_team_scores_and_only_the_agent_answers(lead, other_lead, agent, second_agent, team):
    resolved(agent, team)
    qa.qa_sample_draw(week=WEEK)
    sample = QaSample.objects.get()
    with pytest.raises(KnowledgeError):
        qa.scorecard_submit(actor=other_lead, sample=sample, scores=scores())
    card = qa.scorecard_submit(actor=lead, sample=sample, scores=scores())
    with pytest.raises(KnowledgeError):
        qa.scorecard_respond(actor=second_agent, scorecard=card, to_status="acknowledged")


def test_reminders_go_once_a_day_to_people_who_have_not_acknowledged(lead, reviewer, agent, second_agent):
    sop = published(lead, reviewer, title="Scam SOP")
    services.acknowledge(actor=agent, version=sop)
    Notification.objects.all().delete()

    assert services.ack_reminders_send() == 1
    assert services.ack_reminders_send() == 0
    assert AckReminder.objects.get().agent == second_agent
    assert Notification.objects.get().recipient == second_agent
