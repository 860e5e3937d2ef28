"""Celery tasks for knowledge: thin and idempotent (reminders to acknowledge, the weekly QA draw)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from knowledge.qa import qa_sample_draw, week_start
from knowledge.services import ack_reminders_send


@shared_task(name="knowledge.tasks.ack_reminders_task")
def ack_reminders_task() -> int:
    """Remind people of SOP versions they have not acknowledged; at most once a day each."""
    return ack_reminders_send()


@shared_task(name="knowledge.tasks.qa_sample_task")
def qa_sample_task() -> int:
    """Draw last week's QA sample; a second run the same week draws nothing."""
    last_week = week_start(timezone.localdate() - timedelta(days=7))
    return qa_sample_draw(week=last_week)
