"""The CSAT survey: sent once after resolution, answered once through a signed expiring link."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from cases import services as case_services
from cases.choices import EventKind, Status
from cases.models import CaseEvent
from compliance.models import RegulatoryFlag
from metrics import hooks, services
from metrics.choices import SurveyStatus
from metrics.errors import SurveyAlreadyAnswered, SurveyError, SurveyLinkExpired, SurveyLinkInvalid
from metrics.models import Survey, SurveyOptOut
from metrics.tasks import send_csat_survey
from outbox.models import OutboxMessage
from tests.factories import UserFactory
from tests.metrics.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def resolved_case(plain_team, make_case):
    return make_case(plain_team, NOW - timedelta(days=1), first_response=10, resolved=60)


@pytest.fixture
def sent(resolved_case):
    survey = services.survey_send(case_id=resolved_case.pk, now=NOW)
    assert survey is not None
    return survey


def _token_from_mail() -> str:
    body = mail.outbox[-1].body
    return body.split("/metrics/survey/")[1].split("/")[0]


def test_the_task_emails_a_survey_link_to_the_customer(resolved_case):
    assert send_csat_survey(resolved_case.pk) is True
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resolved_case.customer.email]
    assert resolved_case.reference in message.subject
    assert "/metrics/survey/" in message.body
    survey = Survey.objects.get(case=resolved_case)
    assert services.survey_from_token(_token_from_mail()).pk == survey.pk


def test_a_second_task_for_the_same_case_sends_nothing(resolved_case):
    assert send_csat_survey(resolved_case.pk) is True
    assert send_csat_survey(resolved_case.pk) is False
    assert len(mail.outbox) == 1
    assert Survey.objects.filter(case=resolved_case).count() == 1


def test_resolving_a_case_queues_the_survey_after_commit_with_the_configured_delay(
    plain_team, make_case, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CSAT_SURVEY = {"DELAY_MINUTES": 45, "LINK_MAX_AGE_DAYS": 14}
    from cases import registry

    monkeypatch.setattr(registry, "after_status_change", [hooks.after_status_change])
    monkeypatch.setattr(registry, "close_checks", [])
    case = make_case(plain_team, NOW - timedelta(hours=3), first_response=5, status=Status.OPEN)
    agent = UserFactory(role="agent", teams=[plain_team])
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)
    # The survey waits in the outbox (not the broker) until the delay has passed.
    survey = OutboxMessage.objects.get(task="metrics.tasks.send_csat_survey")
    assert survey.args == [case.pk] and survey.available_at == NOW + timedelta(minutes=45)
    assert survey.sent_at is None
    facts = OutboxMessage.objects.get(task="metrics.tasks.facts_refresh_task")
    assert facts.args == [[case.pk]] and facts.sent_at is not None


@pytest.mark.parametrize("why", ["restricted", "fraud", "opted_out"])
def test_no_survey_for_restricted_fraud_victim_or_opted_out_cases(resolved_case, why, refer):
    if why == "restricted":
        refer(resolved_case)
    elif why == "fraud":
        RegulatoryFlag.objects.create(
            case=resolved_case,
            kind="scam_fraud",
            raised_by=UserFactory(),
            raised_at=NOW - timedelta(hours=20),
            facts={},
        )
    else:
        SurveyOptOut.objects.create(customer=resolved_case.customer, opted_out_at=NOW)
    assert send_csat_survey(resolved_case.pk) is False
    assert mail.outbox == []
    assert not Survey.objects.exists()


def test_no_survey_for_a_case_reopened_before_the_task_ran(plain_team, make_case):
    case = make_case(plain_team, NOW - timedelta(hours=3), first_response=5, status=Status.OPEN)
    assert send_csat_survey(case.pk) is False


def test_an_answer_lands_on_the_timeline_and_the_survey(sent):
    token = services.survey_token(sent)
    services.survey_answer(token=token, score=4, comment="Quick, thanks", now=NOW)
    sent.refresh_from_db()
    assert (sent.status, sent.score, sent.comment) == (SurveyStatus.ANSWERED, 4, "Quick, thanks")
    event = CaseEvent.objects.filter(case_id=sent.case_id, kind=EventKind.NOTE).last()
    assert event.data == {"event": "csat_answered", "score": 4}
    assert "Quick, thanks" in event.body


def test_a_second_answer_is_refused_and_changes_nothing(sent):
    token = services.survey_token(sent)
    services.survey_answer(token=token, score=5, now=NOW)
    with pytest.raises(SurveyAlreadyAnswered):
        services.survey_answer(token=token, score=1, comment="changed my mind", now=NOW)
    sent.refresh_from_db()
    assert sent.score == 5
    assert CaseEvent.objects.filter(case_id=sent.case_id, data__event="csat_answered").count() == 1


def test_a_tampered_link_is_refused(sent):
    token = services.survey_token(sent)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    with pytest.raises(SurveyLinkInvalid):
        services.survey_answer(token=tampered, score=5, now=NOW)
    # A validly signed link for another nonce (a forged survey id) is refused too.
    forged = signing.TimestampSigner(salt=services.SIGNING_SALT).sign_object({"s": sent.pk, "n": "guess"})
    with pytest.raises(SurveyLinkInvalid):
        services.survey_answer(token=forged, score=5, now=NOW)
    sent.refresh_from_db()
    assert sent.status == SurveyStatus.SENT


def test_an_expired_link_is_refused(sent, settings):
    settings.CSAT_SURVEY = {"DELAY_MINUTES": 60, "LINK_MAX_AGE_DAYS": 14}
    token = services.survey_token(sent)
    with time_machine.travel(NOW + timedelta(days=15), tick=False), pytest.raises(SurveyLinkExpired):
        services.survey_answer(token=token, score=5)
    sent.refresh_from_db()
    assert sent.status == SurveyStatus.SENT


@pytest.mark.parametrize("score", [0, 6, -1, "five", None])
def test_a_score_outside_one_to_five_is_refused(sent, score):
    with pytest.raises(SurveyError):
        services.survey_answer(token=services.survey_token(sent), score=score, now=NOW)
    sent.refresh_from_db()
    assert sent.status == SurveyStatus.SENT


def test_the_public_page_needs_no_login_and_records_once(sent):
    client = Client()
    url = f"/metrics/survey/{services.survey_token(sent)}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "How did we do?" in page.content.decode()
    answered = client.post(url, {"score": "5", "comment": "Great"})
    assert answered.status_code == 200
    assert "Thank you for your feedback" in answered.content.decode()
    again = client.post(url, {"score": "1"})
    assert again.status_code == 409
    assert "already been answered" in again.content.decode()
    sent.refresh_from_db()
    assert sent.score == 5


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_the_public_page_refuses_a_bad_score_politely(sent, score):
    response = Client().post(f"/metrics/survey/{services.survey_token(sent)}/", {"score": score})
    assert response.status_code == 400
    assert "score from 1" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == SurveyStatus.SENT


def test_the_public_page_refuses_a_tampered_link(sent):
    response = Client().get(f"/metrics/survey/{services.survey_token(sent)}x/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_customer_opts_out_from_the_survey_page_and_gets_no_more(sent, plain_team, make_case):
    response = Client().post(f"/metrics/survey/{services.survey_token(sent)}/", {"opt_out": "1"})
    assert response.status_code == 200
    assert "will not send you satisfaction surveys" in response.content.decode()
    customer = sent.case.customer
    assert SurveyOptOut.objects.filter(customer=customer).exists()
    later = make_case(plain_team, NOW - timedelta(hours=2), first_response=5, resolved=30, customer=customer)
    assert send_csat_survey(later.pk) is False
