"""The navigation offers each role what it may use, and nothing else."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from people.choices import Role
from people.context_processors import navigation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _nav(html: str) -> list[str]:
    block = re.search(r'<nav class="nav">(.*?)</nav>', html, re.S)
    return [unescape(text) for text in re.findall(r">([^<]+)</a>", block.group(1))] if block else []


@pytest.mark.parametrize(
    ("role", "items"),
    [
        (Role.AGENT, ["My cases", "Team queue", "Escalations", "SOPs", "My figures"]),
        (Role.SPECIALIST, ["My cases", "Team queue", "Escalations", "Pain points", "SOPs", "My figures"]),
        (
            Role.LEAD,
            [
                "My cases",
                "Triage queue",
                "Escalations",
                "Pain points",
                "SOPs",
                "Training & QA",
                "Dashboard",
                "SLA",
                "Routing",
            ],
        ),  # fmt: skip
        (
            Role.COMPLIANCE,
            ["Team queue", "Escalations", "Pain points", "Flag review", "SOPs", "SOP approvals", "Dashboard"],
        ),
        (Role.FIU, ["Team queue", "Escalations", "Pain points", "Restricted inbox", "Audit ledger", "SOPs"]),
        (
            Role.AUDITOR,
            ["Team queue", "Escalations", "Pain points", "Restricted inbox", "Audit ledger", "SOPs", "Dashboard"],
        ),
        (Role.ADMIN, ["SLA", "Routing", "Administration"]),
    ],
)
def test_it_offers_each_role_only_its_own_pages(client_for, team, role, items):
    user = UserFactory(role=role, teams=[team])

    # The 403 page has the navigation too, so every role can be shown the same page.
    html = client_for(user).get("/cases/", follow=True).content.decode()

    assert _nav(html) == items


def test_it_links_an_agent_to_their_cases_and_their_queue_but_not_the_admin(client_for, agent):
    html = client_for(agent).get("/cases/mine/").content.decode()

    assert '<a href="/cases/mine/" aria-current="page">My cases</a>' in html
    assert '<a href="/cases/" >Team queue</a>' in html
    assert "/admin/" not in html
    assert "Ana Reyes · Agent · UTC" in html


def test_it_links_an_admin_to_the_admin_site_and_the_sla_and_routing_configuration_only(client_for, admin_user):
    html = client_for(admin_user).get("/cases/").content.decode()

    assert _nav(html) == ["SLA", "Routing", "Administration"]
    assert '<a href="/admin/"' in html
    assert '<a href="/sla/"' in html
    assert "/cases/mine/" not in html


def test_it_offers_an_anonymous_visitor_no_navigation(client):
    html = client.get("/login/").content.decode()

    assert _nav(html) == []
    assert navigation(_anonymous_request()) == {"nav_items": []}


def _anonymous_request():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return request


def test_it_tells_templates_the_viewers_role(lead):
    request = RequestFactory().get("/")
    request.user = lead

    context = navigation(request)

    assert context["nav_role"] == Role.LEAD
    assert context["nav_items"] == [
        ("My cases", "cases:mine"),
        ("Triage queue", "cases:queue"),
        ("Escalations", "escalations:queue"),
        ("Pain points", "painpoints:index"),
        ("SOPs", "knowledge:library"),
        ("Training & QA", "knowledge:training"),
        ("Dashboard", "metrics:dashboard"),
        ("SLA", "sla:overview"),
        ("Routing", "routing:rules"),
    ]
