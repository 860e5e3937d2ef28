"""Routing pages as people meet them: rules for leads, Get next case for workers, and the
explanation of a routing decision on a case."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import include, path

from audit.models import AuditEvent
from cases import registry
from cases.choices import Status
from cases.models import Case, RoutingDecision, RoutingRule, RoutingTrigger
from cases.routing import route_case, routing_case_panel, routing_decision_latest
from config import urls as project_urls
from people.choices import Role
from people.models import Shift
from tests.factories import CaseFactory, CategoryFactory, TeamFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday

# The project's URLs with the routing pages mounted at /routing/, as config/urls.py mounts them.
urlpatterns = list(project_urls.urlpatterns)
if not any(getattr(pattern, "namespace", None) == "routing" for pattern in urlpatterns):
    urlpatterns.append(path("routing/", include("cases.routing_urls")))

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False), pytest.mark.urls(__name__)]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_rule(name: str, team, **fields) -> RoutingRule:
    return RoutingRule.objects.create(
        name=name, target_team=team, created_at=NOW, updated_at=NOW, **{"conditions": {}, **fields}
    )


@pytest.fixture
def fraud(db):
    return TeamFactory(name="Fraud & scam", slug="fraud-scam")


# --- rules ---------------------------------------------------------------------------------------


def test_a_lead_sees_the_rules_in_order_and_the_switch_for_their_own_teams(
    client_for, lead, team, other_team, fraud, django_assert_num_queries
):
    make_rule("Scams to fraud", fraud, position=1, conditions={"category": ["scam-fraud"]}, required_skills=["scam"])
    make_rule("AU customers", other_team, position=0, conditions={"jurisdiction": ["AU"]})
    client = client_for(lead)

    # Session, user, rules with their teams, the lead's team ids, those teams, the bell's count.
    with django_assert_num_queries(6):
        response = client.get("/routing/rules/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("AU customers") < html.index("Scams to fraud")
    assert "Category:</span> scam-fraud" in html
    assert f'id="team-{team.pk}"' in html
    assert f'id="team-{other_team.pk}"' not in html


def test_the_rules_page_costs_the_same_however_many_rules_there_are(client_for, lead, fraud, django_assert_num_queries):
    for n in range(12):
        make_rule(f"Rule {n}", fraud, position=n)
    client = client_for(lead)

    with django_assert_num_queries(6):
        assert client.get("/routing/rules/").status_code == 200


def test_an_administrator_switches_any_team_and_agents_and_auditors_are_refused(
    client_for, admin_user, agent, auditor, team, other_team
):
    html = client_for(admin_user).get("/routing/rules/").content.decode()
    assert f'id="team-{team.pk}"' in html and f'id="team-{other_team.pk}"' in html

    assert client_for(agent).get("/routing/rules/").status_code == 403
    assert client_for(auditor).get("/routing/rules/").status_code == 403
    assert client_for(agent).post("/routing/rules/new/", {"name": "Mine"}).status_code == 403
    assert not RoutingRule.objects.exists()


def test_a_rule_without_a_target_team_is_refused_on_the_form_and_nothing_is_written(client_for, lead):
    response = client_for(lead).post(
        "/routing/rules/new/", {"name": "Scams", "is_active": "on", "category": ["scam-fraud"]}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the team this rule sends cases to; a rule without a target routes nothing." in html
    assert 'value="Scams"' in html  # what they typed is still there
    assert not RoutingRule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_form_puts_each_problem_under_its_field(client_for, lead, fraud):
    make_rule("Scams", fraud)

    response = client_for(lead).post(
        "/routing/rules/new/",
        {"name": "scams", "target_team": fraud.pk, "language": "english", "required_skills": "Scam SOP"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "A rule called &#x27;scams&#x27; exists already." in html
    assert "Language: english is not a known code." in html
    assert "Scam, SOP: a skill code is lower-case letters" in html
    assert RoutingRule.objects.count() == 1


def test_a_lead_creates_a_rule_that_goes_last(client_for, lead, fraud):
    make_rule("First", fraud, position=0)

    response = client_for(lead).post(
        "/routing/rules/new/",
        {
            "name": "Spanish VIP scams",
            "is_active": "on",
            "target_team": fraud.pk,
            "category": ["scam-fraud"],
            "jurisdiction": ["US", "AU-NSW"],
            "tier": ["vip"],
            "language": "ES, tl",
            "flag_kinds": "scam",
            "required_skills": "scam, es",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/routing/rules/"
    assert messages_of(response) == ["Saved rule Spanish VIP scams: it applies to cases routed from now on."]
    rule = RoutingRule.objects.get(name="Spanish VIP scams")
    assert (rule.position, rule.target_team, rule.required_skills) == (1, fraud, ["es", "scam"])
    assert rule.conditions == {
        "category": ["scam-fraud"],
        "flag_kinds": ["scam"],
        "jurisdiction": ["AU-NSW", "US"],
        "language": ["es", "tl"],
        "tier": ["vip"],
    }


def test_a_lead_edits_a_rule_from_a_form_filled_with_it(client_for, lead, fraud, team):
    rule = make_rule("Scams", fraud, conditions={"language": ["es"]}, required_skills=["scam"])
    client = client_for(lead)

    page = client.get(f"/routing/rules/{rule.pk}/").content.decode()
    assert 'value="Scams"' in page and 'value="es"' in page and 'value="scam"' in page

    response = client.post(f"/routing/rules/{rule.pk}/", {"name": "Scams, all", "target_team": team.pk})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.target_team, rule.conditions, rule.is_active) == ("Scams, all", team, {}, False)
    assert client.get("/routing/rules/999999/").status_code == 404


def test_a_lead_reorders_and_switches_rules(client_for, lead, fraud):
    first, second = make_rule("First", fraud, position=0), make_rule("Second", fraud, position=1)
    client = client_for(lead)

    assert client.post(f"/routing/rules/{second.pk}/move/", {"direction": "up"}).status_code == 302
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Second", "First"]
    assert client.post(f"/routing/rules/{second.pk}/move/", {"direction": "sideways"}).status_code == 400

    response = client.post(f"/routing/rules/{first.pk}/active/", {"is_active": "0"})
    assert messages_of(response)[-1] == "First no longer routes cases."
    first.refresh_from_db()
    assert not first.is_active
    assert client.get(f"/routing/rules/{first.pk}/move/").status_code == 405


def test_the_auto_assign_switch_answers_to_the_teams_own_leads(client_for, lead, other_lead, agent, team):
    url = f"/routing/teams/{team.pk}/auto-assign/"

    assert client_for(agent).post(url, {"auto_assign": "0"}).status_code == 403
    assert client_for(other_lead).post(url, {"auto_assign": "0"}).status_code == 404
    team.refresh_from_db()
    assert team.auto_assign

    response = client_for(lead).post(url, {"auto_assign": "0"})

    assert response.status_code == 302
    assert messages_of(response) == ["Manila L1 now pulls its cases: members use Get next case."]
    team.refresh_from_db()
    assert not team.auto_assign


# --- get next case ---------------------------------------------------------------------------------


def test_get_next_case_opens_the_claimed_case(client_for, agent, team):
    case = CaseFactory(team=team, sla_due_at=NOW + timedelta(hours=1))

    response = client_for(agent).post("/routing/next/")

    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    assert messages_of(response) == [f"{case.reference} is yours: the most urgent free case in your queues."]
    case.refresh_from_db()
    assert case.assignee == agent


def test_get_next_case_with_nothing_free_says_so_and_goes_back(client_for, agent, team):
    response = client_for(agent).post("/routing/next/", {"next": "/cases/mine/"})

    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    assert messages_of(response) == ["No unassigned case in your teams' queues is free for you right now."]


def test_get_next_case_at_capacity_explains_the_limit(client_for, agent, team):
    agent.max_open_cases = 1
    agent.save()
    CaseFactory(team=team, assignee=agent, status=Status.OPEN)
    waiting = CaseFactory(team=team)

    response = client_for(agent).post("/routing/next/", {"next": "https://elsewhere.example/"})

    assert response["Location"] == "/cases/"
    assert messages_of(response) == [
        "You have 1 open cases and your limit is 1: resolve or hand one back before taking another."
    ]
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_get_next_case_is_for_case_workers_and_only_by_post(client_for, auditor, agent):
    assert client_for(auditor).post("/routing/next/").status_code == 403
    assert client_for(agent).get("/routing/next/").status_code == 405


# --- the decision, as leads read it ----------------------------------------------------------------


@pytest.fixture
def routed_case(team, fraud):
    """A scam case routed to the fraud team, with one person passed over for each reason."""

    def person(name, *, skills=("scam",), shift=True, open_cases=0):
        user = UserFactory(username=name.lower(), first_name=name, last_name="", teams=[fraud], skills=list(skills))
        if shift:
            Shift.objects.create(user=user, weekday=1, starts_at=time(8), ends_at=time(16))
        for _ in range(open_cases):
            CaseFactory(team=fraud, assignee=user, status=Status.OPEN)
        return user

    person("Sam")
    person("Asleep", shift=False)
    person("Full", open_cases=8)
    person("Rookie", skills=())
    make_rule("Scams to fraud", fraud, conditions={"category": ["scam-fraud"]}, required_skills=["scam"])
    case = CaseFactory(team=team, category=CategoryFactory(code="scam-fraud"))
    route_case(case_id=case.pk, trigger=RoutingTrigger.NEW)
    return Case.objects.get(pk=case.pk)


def test_the_decision_fragment_shows_the_rule_the_choice_and_every_reason(routed_case, django_assert_num_queries):
    decision = routing_decision_latest(routed_case)

    with django_assert_num_queries(0):
        html = render_to_string("routing/_decision.html", {"decision": decision})

    assert "Rule &#x27;Scams to fraud&#x27; moved it from Manila L1 to Fraud &amp; scam." in html
    assert "rule <strong>Scams to fraud</strong>" in html
    rows = [line.strip() for line in html.splitlines() if "<td>" in line]
    assert "<td><strong>chosen</strong></td>" in rows
    for reason in ("off shift", "at capacity 8/8", "missing skill: scam"):
        assert f"<td>{reason}</td>" in rows
    assert render_to_string("routing/_decision.html", {"decision": None}).strip() == ""


def test_a_lead_of_the_team_reads_every_decision_on_the_case(client_for, routed_case, fraud, django_assert_num_queries):
    fraud_lead = UserFactory(role=Role.LEAD, teams=[fraud])
    client = client_for(fraud_lead)

    with django_assert_num_queries(6):  # session, user, the lead's teams, case, decisions, the bell's count
        response = client.get(f"/routing/cases/{routed_case.reference}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "at capacity 8/8" in html and "missing skill: scam" in html and "off shift" in html
    assert RoutingDecision.objects.filter(case=routed_case).count() == 1


def test_agents_of_the_team_may_not_read_decisions_and_outsiders_do_not_learn_the_case_exists(
    client_for, routed_case, fraud, outsider
):
    fraud_agent = UserFactory(role=Role.AGENT, teams=[fraud])
    url = f"/routing/cases/{routed_case.reference}/"

    assert client_for(fraud_agent).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404


def test_the_case_page_panel_shows_leads_why_the_case_is_theirs_and_agents_nothing(
    client_for, routed_case, fraud, monkeypatch
):
    monkeypatch.setattr(registry, "case_panels", [routing_case_panel])
    fraud_lead = UserFactory(role=Role.LEAD, teams=[fraud])
    fraud_agent = UserFactory(role=Role.AGENT, teams=[fraud])
    url = f"/cases/{routed_case.reference}/"

    lead_page = client_for(fraud_lead).get(url).content.decode()
    agent_page = client_for(fraud_agent).get(url).content.decode()

    assert "Rule &#x27;Scams to fraud&#x27; moved it from Manila L1" in lead_page
    assert "<td>at capacity 8/8</td>" in lead_page
    assert f'href="/routing/cases/{routed_case.reference}/"' in lead_page
    assert "routing-decision" not in agent_page
