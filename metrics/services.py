"""Writes of the metrics app: campaigns, handle times, and the CSAT survey.

The survey link is ``/survey/<token>/`` where the token is the survey id and a random nonce,
signed with the site's key and timestamped (``django.core.signing.TimestampSigner``): a
changed character fails the signature, an old link fails the age check, and the answer is
claimed with one conditional UPDATE, so a second answer through the same link records nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from cases.choices import EventKind, Status
from cases.models import Case, CaseEvent, Category
from compliance.choices import FlagKind
from compliance.models import Referral, RegulatoryFlag
from metrics.cache import generation_bump
from metrics.choices import SurveyStatus
from metrics.errors import SurveyAlreadyAnswered, SurveyError, SurveyLinkExpired, SurveyLinkInvalid
from metrics.facts import facts_refresh
from metrics.models import Campaign, HandleTime, Survey, SurveyOptOut
from people.choices import TeamKind

SIGNING_SALT = "metrics.csat-survey"
DEFAULT_DELAY_MINUTES = 60
DEFAULT_LINK_DAYS = 14


def csat_settings() -> dict:
    configured = getattr(settings, "CSAT_SURVEY", {}) or {}
    return {
        "delay_minutes": int(configured.get("DELAY_MINUTES", DEFAULT_DELAY_MINUTES)),
        "link_days": int(configured.get("LINK_MAX_AGE_DAYS", DEFAULT_LINK_DAYS)),
    }


# --- Campaigns and handle times ------------------------------------------------------------------


@transaction.atomic
def campaign_save(
    *,
    actor,
    name: str,
    starts_on: date,
    ends_on: date,
    expected_extra_cases: int,
    categories: list[Category],
    note: str = "",
    campaign: Campaign | None = None,
) -> Campaign:
    """Create or edit a campaign (leads only; the view checks the role). Audited."""
    before = None
    if campaign is None:
        campaign = Campaign(created_by=actor, created_at=timezone.now())
    else:
        before = {"name": campaign.name, "starts_on": str(campaign.starts_on), "ends_on": str(campaign.ends_on)}
    campaign.name, campaign.starts_on, campaign.ends_on = name, starts_on, ends_on
    campaign.expected_extra_cases, campaign.note = expected_extra_cases, note
    campaign.full_clean(exclude=["categories", "created_by"])
    campaign.save()
    campaign.categories.set(categories)
    transaction.on_commit(generation_bump)
    audit_record(
        actor=actor,
        action="metrics.campaign_save",
        object_type="campaign",
        object_id=campaign.pk,
        before=before,
        after={
            "name": name,
            "starts_on": str(starts_on),
            "ends_on": str(ends_on),
            "expected": expected_extra_cases,
            "categories": [c.code for c in categories],
        },
    )
    return campaign


@transaction.atomic
def handle_time_set(*, actor, category: Category, minutes: int) -> HandleTime:
    transaction.on_commit(generation_bump)
    row, _ = HandleTime.objects.update_or_create(
        category=category, defaults={"minutes": minutes, "set_by": actor, "set_at": timezone.now()}
    )
    audit_record(
        actor=actor,
        action="metrics.handle_time_set",
        object_type="category",
        object_id=category.code,
        after={"minutes": minutes},
    )
    return row


# --- CSAT survey ---------------------------------------------------------------------------------


def survey_ineligible_reason(case: Case) -> str | None:
    """Why no survey may go out for ``case``, or None if one may.

    Never for: a case not resolved (or closed) now; restricted cases (the FIU team's, or
    escalated into it: no tipping off); fraud-victim cases (a scam/fraud regulatory flag);
    customers who opted out; a case already surveyed (one survey per case, ever).
    """
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        return "not resolved"
    if case.team.kind == TeamKind.FIU or Referral.objects.filter(case=case).exists():
        return "restricted"
    if RegulatoryFlag.objects.filter(case=case, kind=FlagKind.SCAM_FRAUD).exists():
        return "fraud victim"
    if SurveyOptOut.objects.filter(customer_id=case.customer_id).exists():
        return "opted out"
    if not case.customer.email:
        return "no e-mail address"
    if Survey.objects.filter(case=case).exists():
        return "already surveyed"
    return None


def survey_token(survey: Survey) -> str:
    return signing.TimestampSigner(salt=SIGNING_SALT).sign_object({"s": survey.pk, "n": survey.nonce})


def survey_url(survey: Survey) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('metrics:survey', args=[survey_token(survey)])}"


def survey_from_token(token: str, *, now: datetime | None = None) -> Survey:
    """The survey a link names. Raises SurveyLinkInvalid (tampered, unknown) or SurveyLinkExpired."""
    max_age = timedelta(days=csat_settings()["link_days"])
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    try:
        payload = signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SurveyLinkExpired("This survey link has expired. Thank you all the same.") from exc
    except signing.BadSignature as exc:
        raise SurveyLinkInvalid(
            "This survey link is not valid. Please use the link from your e-mail as it is."
        ) from exc
    survey = Survey.objects.select_related("case").filter(pk=payload.get("s"), nonce=payload.get("n")).first()
    if survey is None:
        raise SurveyLinkInvalid("This survey link is not valid. Please use the link from your e-mail as it is.")
    return survey


def survey_send(*, case_id: int, now: datetime | None = None) -> Survey | None:
    """Send the satisfaction survey of a resolved case, once. Returns None when none may go out.

    The row and the e-mail share a transaction: if the mail server refuses, nothing is recorded
    and the task's retry tries again; once recorded, a duplicate task finds the survey and stops.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("customer", "team").filter(pk=case_id).first()
        )
        if case is None or survey_ineligible_reason(case):
            return None
        try:
            with transaction.atomic():
                survey = Survey.objects.create(
                    case=case, email=case.customer.email, nonce=secrets.token_hex(16), sent_at=now
                )
        except IntegrityError:
            return None
        first_name = case.customer.full_name.split()[0] if case.customer.full_name else "there"
        EmailMessage(
            subject=f"How did we do? Your case {case.reference}",
            body=(
                f"Hello {first_name},\n\nYour case {case.reference} was resolved. How satisfied are you with the "
                f"help you received? One question, one click:\n\n{survey_url(survey)}\n\n"
                f"The link works once and for {csat_settings()['link_days']} days."
            ),
            to=[survey.email],
        ).send()
        facts_refresh([case.pk], now=now)
        audit_record(
            actor=None,
            action="metrics.survey_sent",
            object_type="case",
            object_id=case.reference,
            after={"survey": survey.pk},
        )
    return survey


def survey_answer(*, token: str, score, comment: str = "", now: datetime | None = None) -> Survey:
    """Record a customer's answer: a score 1-5 and an optional comment, once.

    Raises SurveyLinkInvalid / SurveyLinkExpired (bad link), SurveyError (score out of range),
    SurveyAlreadyAnswered (second answer). Nothing is recorded when it raises. The answer lands
    on the case timeline as an internal entry.
    """
    now = now or timezone.now()
    survey = survey_from_token(token, now=now)
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise SurveyError("Please choose a score from 1 (very dissatisfied) to 5 (very satisfied).")
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.SENT).update(
            status=SurveyStatus.ANSWERED, score=score, comment=comment, answered_at=now
        )
        if not claimed:
            raise SurveyAlreadyAnswered("This survey has already been answered. Thank you, we have your feedback.")
        body = f"Customer satisfaction survey answered: {score} of 5."
        if comment:
            body += f"\n“{comment}”"
        CaseEvent.objects.create(
            case_id=survey.case_id,
            kind=EventKind.NOTE,
            actor=None,
            body=body,
            data={"event": "csat_answered", "score": score},
            created_at=now,
        )
        # The figures read the answer from the case's facts (which also renews the dashboards).
        facts_refresh([survey.case_id], now=now)
        audit_record(
            actor=None,
            action="metrics.survey_answered",
            object_type="case",
            object_id=survey.case.reference,
            after={"survey": survey.pk, "score": score},
        )
    survey.refresh_from_db()
    return survey


def survey_opt_out(*, customer_id: int) -> None:
    SurveyOptOut.objects.get_or_create(customer_id=customer_id, defaults={"opted_out_at": timezone.now()})
