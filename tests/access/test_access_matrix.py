"""Who gets what: every URL pattern and API route, for every persona, against a written table.

The table is the decision: a view added without a row fails ``test_every_route_has_a_decision``,
and a changed answer for any role fails ``test_each_persona_gets_the_decided_answer``. Pages are
fetched with GET (POST-only routes must refuse GET with 405 once signed in, 302 to sign-in
before); objects are real (a case of the agent's team with a flag, an obligation, an escalation
and a referral), so 404 means "not yours to know about" and 403 "yours to read, not to do".

Set ``ACCESS_MATRIX_PRINT=1`` to print what each persona gets instead of asserting (to review
a new route's answers before writing its row).
"""

from __future__ import annotations

import os

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import RoutingRule
from compliance.choices import FlagKind
from compliance.models import Obligation
from compliance.restricted import referral_create
from compliance.services import flag_raise, flag_submit
from escalations.models import ReasonCode
from escalations.services import escalation_request
from painpoints.services import pain_point_create
from people.choices import Role, TeamKind
from tests.factories import (
    BusinessCalendarFactory,
    CaseFactory,
    NotificationFactory,
    SlaPolicyFactory,
    TeamFactory,
    UserFactory,
    ensure_reference_data,
)
from tests.knowledge.conftest import published, reviewer  # noqa: F401 - the fixture is used below

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "agent", "outsider", "lead", "specialist", "compliance", "fiu", "auditor", "admin")
REG_E = {"notice_date": "2026-11-18", "notice_form": "oral", "transfer_date": "2026-11-16", "amount": "250.00",
         "leg": "fiat"}  # fmt: skip
MISSING = 999_999
REFERRAL_REASON = "Structuring below the reporting threshold across nine deposits"

# url name -> (the route's arguments, from the world below) and the status each persona gets, in
# PERSONAS order. One row per named route outside the Django admin (which has its own checks).
MATRIX: dict[str, tuple[str, str]] = {
    "api:case": ("case", "401 200 404 200 200 200 200 200 403"),
    "api:case-assign": ("case", "401 405 405 405 405 405 405 405 405"),
    "api:case-escalations": ("case", "401 200 404 200 200 200 200 200 403"),
    "api:case-flags": ("case", "401 200 404 200 200 200 200 200 403"),
    "api:case-note": ("case", "401 405 405 405 405 405 405 405 405"),
    "api:case-obligations": ("case", "401 200 404 200 200 200 200 200 403"),
    "api:case-reply": ("case", "401 405 405 405 405 405 405 405 405"),
    "api:case-sla-timers": ("case", "401 200 404 200 200 200 200 200 403"),
    "api:case-status": ("case", "401 405 405 405 405 405 405 405 405"),
    "api:cases": ("", "401 200 200 200 200 200 200 200 403"),
    "api:docs": ("", "302 200 200 200 200 200 200 200 200"),
    "api:escalation": ("escalation", "401 200 404 200 200 200 200 200 404"),
    "api:escalation-accept": ("escalation", "401 405 405 405 405 405 405 405 405"),
    "api:escalation-return": ("escalation", "401 405 405 405 405 405 405 405 405"),
    "api:flag": ("flag", "401 200 404 200 200 200 200 200 404"),
    "api:flag-facts": ("flag", "401 405 405 405 405 405 405 405 405"),
    "api:flag-sign-off": ("flag", "401 405 405 405 405 405 405 405 405"),
    "api:flag-submit": ("flag", "401 405 405 405 405 405 405 405 405"),
    "api:flags": ("", "401 403 403 403 403 200 200 200 403"),
    "api:intake-tickets": ("", "401 405 405 405 405 405 405 405 405"),
    "api:intake-tickets-batch": ("", "401 405 405 405 405 405 405 405 405"),
    "api:metrics-dashboard": ("", "401 403 403 200 403 200 403 200 403"),
    "api:not-found": ("", "401 404 404 404 404 404 404 404 404"),
    "api:obligations": ("", "401 403 403 403 403 200 200 200 403"),
    "api:schema": ("", "401 200 200 200 200 200 200 200 200"),
    "audit:export": ("", "302 403 403 403 403 403 200 200 403"),
    "audit:ledger": ("", "302 403 403 403 403 403 200 200 403"),
    "calendars:edit": ("calendar", "302 403 403 200 403 403 403 403 200"),
    "calendars:list": ("", "302 403 403 200 403 403 403 403 200"),
    "calendars:new": ("", "302 403 403 200 403 403 403 403 200"),
    "cases:assign": ("case", "302 405 405 405 405 405 405 405 405"),
    "cases:bulk": ("", "302 405 405 405 405 405 405 405 405"),
    "cases:detail": ("case", "302 200 404 200 200 200 200 200 403"),
    "cases:document_download": ("missing_case_doc", "302 404 404 404 404 404 404 404 404"),
    "cases:document_upload": ("case", "302 405 405 405 405 405 405 405 405"),
    "cases:message": ("case", "302 405 405 405 405 405 405 405 405"),
    "cases:mine": ("", "302 200 200 200 200 403 403 403 403"),
    "cases:properties": ("case", "302 405 405 405 405 405 405 405 405"),
    "cases:queue": ("", "302 200 200 200 200 200 200 200 403"),
    "cases:sla": ("case", "302 200 404 200 200 200 200 200 403"),
    "cases:status": ("case", "302 405 405 405 405 405 405 405 405"),
    "compliance:facts": ("flag", "302 200 404 200 403 403 403 403 404"),
    "compliance:flag_new": ("case", "302 200 404 200 403 403 403 403 404"),
    "compliance:obligation_met": ("obligation", "302 405 405 405 405 405 405 405 405"),
    "compliance:queue": ("", "302 403 403 403 403 200 403 403 403"),
    "compliance:review": ("flag", "302 200 404 200 200 200 200 200 404"),
    "compliance:submit": ("flag", "302 405 405 405 405 405 405 405 405"),
    "compliance:trigger": ("flag", "302 405 405 405 405 405 405 405 405"),
    "customers:customer": ("customer", "302 200 404 200 404 200 200 200 403"),
    "customers:reveal": ("customer", "302 400 404 400 404 400 400 400 403"),
    "customers:reveals": ("", "302 403 403 200 403 200 200 200 403"),
    "escalations:accept": ("escalation", "302 405 405 405 405 405 405 405 405"),
    "escalations:bulk": ("", "302 405 405 405 405 405 405 405 405"),
    "escalations:detail": ("escalation", "302 200 404 200 200 200 200 200 404"),
    "escalations:hand_on": ("escalation", "302 405 405 405 405 405 405 405 405"),
    "escalations:queue": ("", "302 200 200 200 200 200 200 200 403"),
    "escalations:request": ("case", "302 200 404 200 403 403 403 403 404"),
    "escalations:return": ("escalation", "302 405 405 405 405 405 405 405 405"),
    "escalations:withdraw": ("escalation", "302 405 405 405 405 405 405 405 405"),
    "fiu:inbox": ("", "302 404 404 404 404 404 200 200 404"),
    "fiu:refer": ("case", "302 405 405 405 405 405 405 405 405"),
    "fiu:referral": ("referral", "302 404 404 404 404 404 200 200 404"),
    "healthz": ("", "200 200 200 200 200 200 200 200 200"),
    "home": ("", "302 302 302 302 302 302 302 302 302"),
    "intake:cfpb": ("", "302 403 403 200 403 200 403 403 403"),
    "intake:cfpb_run": ("missing", "302 403 403 404 403 404 403 403 403"),
    "knowledge:acknowledge": ("version", "302 405 405 405 405 405 405 405 405"),
    "knowledge:case_templates": ("case", "302 403 404 200 403 200 200 200 403"),
    "knowledge:document": ("document", "302 200 200 200 200 200 200 200 403"),
    "knowledge:library": ("", "302 200 200 200 200 200 200 200 403"),
    "knowledge:mine": ("", "302 200 200 200 200 200 200 200 403"),
    "knowledge:new": ("", "302 403 403 200 403 403 403 403 403"),
    "knowledge:publish": ("version", "302 405 405 405 405 405 405 405 405"),
    "knowledge:qa_mine": ("", "302 200 200 200 200 200 200 200 403"),
    "knowledge:qa_queue": ("", "302 403 403 200 403 403 403 403 403"),
    "knowledge:qa_respond": ("missing", "302 405 405 405 405 405 405 405 405"),
    "knowledge:qa_score": ("missing", "302 403 403 404 403 403 403 403 403"),
    "knowledge:review": ("version", "302 405 405 405 405 405 405 405 405"),
    "knowledge:review_queue": ("", "302 403 403 403 403 200 403 403 403"),
    "knowledge:training": ("", "302 403 403 200 403 200 200 200 403"),
    "knowledge:version": ("version", "302 200 200 200 200 200 200 200 403"),
    "knowledge:version_new": ("document", "302 403 403 200 403 403 403 403 403"),
    "login": ("", "200 302 302 302 302 302 302 302 302"),
    "logout": ("", "302 405 405 405 405 405 405 405 405"),
    "metrics:campaigns": ("", "302 403 403 200 403 200 403 200 403"),
    "metrics:dashboard": ("", "302 403 403 200 403 200 403 200 403"),
    "metrics:drill": ("metric", "302 200 200 200 200 200 403 200 403"),
    "metrics:export": ("chart", "302 403 403 200 403 200 403 200 403"),
    "metrics:handle_time": ("", "302 405 405 405 405 405 405 405 405"),
    "metrics:how_we_count": ("", "302 200 200 200 200 200 403 200 403"),
    "metrics:mine": ("", "302 200 200 403 200 403 403 403 403"),
    "metrics:survey": ("token", "400 400 400 400 400 400 400 400 400"),
    "notifications:list": ("", "302 200 200 200 200 200 200 200 200"),
    "notifications:read": ("notification", "302 405 405 405 405 405 405 405 405"),
    "notifications:read_all": ("", "302 405 405 405 405 405 405 405 405"),
    "painpoints:cluster": ("case", "302 403 403 200 403 200 200 200 403"),
    "painpoints:cluster_link": ("case", "302 405 405 405 405 405 405 405 405"),
    "painpoints:detail": ("pain_point", "302 403 403 200 200 200 200 200 403"),
    "painpoints:edit": ("pain_point", "302 403 403 200 403 403 403 403 403"),
    "painpoints:identifier_add": ("case", "302 405 405 405 405 405 405 405 405"),
    "painpoints:identifier_extract": ("case", "302 405 405 405 405 405 405 405 405"),
    "painpoints:index": ("", "302 403 403 200 200 200 200 200 403"),
    "painpoints:job": ("missing", "302 403 403 404 404 404 404 404 403"),
    "painpoints:link": ("pain_point", "302 405 405 405 405 405 405 405 405"),
    "painpoints:link_queue": ("pain_point", "302 405 405 405 405 405 405 405 405"),
    "painpoints:new": ("", "302 403 403 200 403 403 403 403 403"),
    "painpoints:send": ("pain_point", "302 405 405 405 405 405 405 405 405"),
    "painpoints:shared": ("", "302 404 404 404 404 404 404 404 403"),
    "painpoints:status": ("pain_point", "302 405 405 405 405 405 405 405 405"),
    "painpoints:unlink": ("pain_point", "302 405 405 405 405 405 405 405 405"),
    "routing:case_decisions": ("case", "302 403 404 200 403 403 403 200 404"),
    "routing:next": ("", "302 405 405 405 405 405 405 405 405"),
    "routing:rule": ("rule", "302 403 403 200 403 403 403 403 200"),
    "routing:rule_active": ("rule", "302 405 405 405 405 405 405 405 405"),
    "routing:rule_move": ("rule", "302 405 405 405 405 405 405 405 405"),
    "routing:rule_new": ("", "302 403 403 200 403 403 403 403 200"),
    "routing:rules": ("", "302 403 403 200 403 403 403 403 200"),
    "routing:team_auto_assign": ("team", "302 405 405 405 405 405 405 405 405"),
    "sla:overview": ("", "302 403 403 200 403 403 403 403 200"),
    "sla:policy": ("policy", "302 403 403 200 403 403 403 403 200"),
    "sla:policy_active": ("policy", "302 405 405 405 405 405 405 405 405"),
    "sla:policy_move": ("policy", "302 405 405 405 405 405 405 405 405"),
    "sla:policy_new": ("", "302 403 403 200 403 403 403 403 200"),
}


def _routes(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from _routes(entry.url_patterns, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


@pytest.fixture
def world(team, agent, lead, outsider, specialist, compliance_user, auditor, admin_user, case, reviewer):  # noqa: F811
    ensure_reference_data()
    fiu_team = TeamFactory(name="FIU", slug="fiu", kind=TeamKind.FIU)
    fiu = UserFactory(username="fiona", role=Role.FIU, teams=[fiu_team])
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    flag = flag_submit(actor=agent, flag=flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER,
                                                    facts=REG_E))  # fmt: skip
    fraud = specialist.teams.get()
    escalation = escalation_request(
        actor=agent, case=case, to_team=fraud, reason=ReasonCode.objects.order_by("position").first()
    )
    referred = CaseFactory(team=team)
    referral = referral_create(actor=agent, case=referred, reason=REFERRAL_REASON)
    from django.utils import timezone

    rule = RoutingRule.objects.create(name="All to Manila", target_team=team, created_at=timezone.now(),
                                      updated_at=timezone.now())  # fmt: skip
    document = published(lead, reviewer, title="Refund SOP").document
    pain_point = pain_point_create(actor=lead, title="Scam wave", owner_team=fraud)
    people = {"agent": agent, "outsider": outsider, "lead": lead, "specialist": specialist,
              "compliance": compliance_user, "fiu": fiu, "auditor": auditor, "admin": admin_user}  # fmt: skip
    return {
        "people": people,
        "referred": referred,
        "args": {
            "": {},
            "case": {"reference": case.reference},
            "flag": {"pk": flag.pk},
            "obligation": {"pk": Obligation.objects.filter(flag=flag).first().pk},
            "escalation": {"pk": escalation.pk},
            "referral": {"pk": referral.pk},
            "team": {"pk": team.pk},
            "rule": {"pk": rule.pk},
            "calendar": {"pk": BusinessCalendarFactory().pk},
            "policy": {"pk": SlaPolicyFactory().pk},
            "customer": {"account_number": case.customer.account_number},
            "document": {"slug": document.slug},
            "pain_point": {"pk": pain_point.pk},
            "version": {"slug": document.slug, "number": 1},
            "notification": {"pk": NotificationFactory(recipient=agent).pk},
            "missing": {"pk": MISSING},
            "missing_case_doc": {"reference": case.reference, "pk": MISSING},
            "metric": {"key": "resolved"},
            "chart": {"chart": "trend"},
            "token": {"token": "not-a-real-link"},
        },
    }


def _clients(client_for, world) -> dict:
    from django.test import Client

    return {"anonymous": Client(), **{persona: client_for(user) for persona, user in world["people"].items()}}


def test_every_route_has_a_decision():
    assert sorted(set(_routes()) - set(MATRIX)) == [], "add a row to MATRIX for each new route"
    assert sorted(set(MATRIX) - set(_routes())) == [], "remove the rows of routes that are gone"


def test_each_persona_gets_the_decided_answer(client_for, world):
    printing = os.environ.get("ACCESS_MATRIX_PRINT") == "1"
    clients = _clients(client_for, world)
    wrong = []
    for name in sorted(_routes()):
        args_key, expected = MATRIX.get(name, ("", ""))
        url = reverse(name, kwargs=world["args"][args_key])
        got = " ".join(str(clients[persona].get(url).status_code) for persona in PERSONAS)
        if printing:
            print(f'    "{name}": ("{args_key}", "{got}"),')
        elif got != expected:
            wrong.append(f"{name}: expected {expected}, got {got}")
    assert printing or not wrong, "\n".join(wrong)


def test_nothing_an_agent_can_open_shows_unmasked_pii_or_the_referral(client_for, world):
    """Every page and API answer the agent gets (a 200 in the table), opened for a case that is
    referred to the FIU and whose customer has PII: none of the PII in full, nothing of the
    referral."""
    referred = world["referred"]
    customer = referred.customer
    world["args"]["case"] = {"reference": referred.reference}
    world["args"]["customer"] = {"account_number": customer.account_number}
    secrets = [
        customer.email, customer.phone, "".join(ch for ch in customer.phone if ch.isdigit()),
        customer.date_of_birth.isoformat(), customer.date_of_birth.strftime("%-d %b %Y"),
        REFERRAL_REASON, "Restricted inbox", "/fiu/", "Refer to FIU", "FinCEN", "suspicious activity",
    ]  # fmt: skip
    client = client_for(world["people"]["agent"])
    opened = 0
    for name, (args_key, expected) in sorted(MATRIX.items()):
        if expected.split()[PERSONAS.index("agent")] != "200":
            continue
        body = client.get(reverse(name, kwargs=world["args"][args_key])).content.decode()
        opened += 1
        leaked = [secret for secret in secrets if secret in body]
        assert not leaked, f"{name} shows {leaked}"
    assert opened > 20
