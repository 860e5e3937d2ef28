"""SLA pages as people meet them: policy configuration, the timers on the queue and the case page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditEvent
from cases.choices import EventKind, SlaMetric
from cases.models import SlaPause, SlaPolicy, SlaPolicyVersion
from cases.sla_policies import sla_policy_save
from people.choices import Role
from tests.factories import (
    BusinessCalendarFactory,
    CaseEventFactory,
    CaseFactory,
    SlaTimerFactory,
    UserFactory,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

_ROW_REFERENCE = re.compile(r'<td class="ref"><a href="/cases/(CS-\d{4}-\d{6})/">')


def rows(response) -> list[str]:
    return _ROW_REFERENCE.findall(response.content.decode())


def sla_cell(response, case) -> str:
    html = response.content.decode()
    match = re.search(rf'{case.reference}</a></td>.*?<td class="sla-cell">(.*?)</td>', html, re.S)
    assert match, f"{case.reference} has no SLA cell"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def policy_post(**changes) -> dict:
    data = {
        "name": "Urgent chat",
        "is_active": "on",
        "priority": ["urgent"],
        "channel": ["chat"],
        "first_response_minutes": "30",
        "resolution_minutes": "480",
        "warn_percent": "80",
        "change_note": "Launch targets",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def saved_policy(actor, policy=None, **changes):
    values = {
        "name": "Standard e-mail",
        "position": None,
        "is_active": True,
        "conditions": {"channel": ["email"]},
        "calendar": None,
        "first_response_minutes": 240,
        "next_response_minutes": 480,
        "resolution_minutes": 2400,
        "warn_percent": 80,
        "warn_minutes_before": None,
        "breach_raise_priority": False,
        "breach_escalate": False,
    }
    return sla_policy_save(actor=actor, policy=policy, **(values | changes))


@pytest.fixture
def lead_client(client_for, lead):
    return client_for(lead)


# --- who may configure -----------------------------------------------------------------------

CONFIG_PAGES = ["/sla/", "/sla/policies/new/"]


@pytest.mark.parametrize("path", CONFIG_PAGES)
def test_leads_and_admins_open_the_sla_pages(client_for, lead, admin_user, path):
    assert client_for(lead).get(path).status_code == 200
    assert client_for(admin_user).get(path).status_code == 200


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST, Role.COMPLIANCE, Role.FIU, Role.AUDITOR])
@pytest.mark.parametrize("path", CONFIG_PAGES)
def test_other_roles_are_refused_the_sla_pages(client_for, team, role, path):
    user = UserFactory(role=role, teams=[team])

    response = client_for(user).get(path)

    assert response.status_code == 403
    assert "Only leads and administrators configure service SLAs." in response.content.decode()


@pytest.mark.parametrize("path", [*CONFIG_PAGES, "/notifications/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_agent_cannot_change_a_policy_by_posting(client_for, agent, lead):
    policy = saved_policy(lead)
    client = client_for(agent)

    assert client.post(f"/sla/policies/{policy.pk}/", policy_post()).status_code == 403
    assert client.post(f"/sla/policies/{policy.pk}/move/", {"direction": "up"}).status_code == 403
    assert client.post(f"/sla/policies/{policy.pk}/active/", {"is_active": "0"}).status_code == 403
    policy.refresh_from_db()
    assert policy.versions.count() == 1
    assert policy.is_active


def test_an_unknown_policy_is_not_found(lead_client):
    assert lead_client.get("/sla/policies/999999/").status_code == 404


# --- creating and editing policies -----------------------------------------------------------


def test_a_lead_creates_a_policy_from_the_form(lead_client, lead, team):
    calendar = BusinessCalendarFactory(name="Manila weekdays")

    response = lead_client.post(
        "/sla/policies/new/", policy_post(calendar=str(calendar.pk), team=[team.slug], category=["withdrawals"])
    )

    policy = SlaPolicy.objects.get(name="Urgent chat")
    assert response.status_code == 302
    assert response["Location"] == f"/sla/policies/{policy.pk}/"
    version = policy.current_version
    assert version.conditions == {
        "category": ["withdrawals"],
        "channel": ["chat"],
        "priority": ["urgent"],
        "team": [team.slug],
    }
    assert (version.first_response_minutes, version.next_response_minutes, version.resolution_minutes) == (
        30,
        None,
        480,
    )
    assert version.calendar == calendar
    assert version.created_by == lead
    page = lead_client.get(response["Location"]).content.decode()
    assert "Saved Urgent chat: version 1 applies to timers that start from now." in page


def test_saving_the_form_again_writes_version_two_and_lists_the_history(lead_client, lead):
    policy = saved_policy(lead)

    response = lead_client.post(
        f"/sla/policies/{policy.pk}/",
        policy_post(name="Standard e-mail", channel=["email"], priority=[], change_note="Faster replies"),
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.current_version.number == 2
    assert policy.current_version.first_response_minutes == 30
    html = lead_client.get(f"/sla/policies/{policy.pk}/").content.decode()
    history = html.split('id="versions"')[1]
    assert history.index("v2") < history.index("v1")
    assert "Faster replies" in history
    assert "Save as version 3" in html


def test_the_edit_form_starts_from_the_current_version(lead_client, lead):
    policy = saved_policy(lead, resolution_minutes=1234)

    html = lead_client.get(f"/sla/policies/{policy.pk}/").content.decode()

    assert 'name="resolution_minutes" value="1234"' in html
    assert re.search(r'<input type="checkbox" name="channel" value="email"[^>]*checked', html)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_response_minutes": "0"}, "first_response_minutes", "greater than zero"),
        ({"resolution_minutes": "-60"}, "resolution_minutes", "greater than zero"),
        ({"warn_minutes_before": "30"}, "warn_minutes_before", "smallest target"),
        ({"warn_minutes_before": "45"}, "warn_minutes_before", "smallest target"),
        ({"warn_percent": "100"}, "warn_percent", "between 1 and 99"),
        ({"name": ""}, "name", "required"),
        ({"first_response_minutes": "soon"}, "first_response_minutes", "Enter a whole number."),
    ],
)
def test_bad_input_re_renders_the_form_with_the_error_on_its_field_and_saves_nothing(
    lead_client, changes, field, message
):
    response = lead_client.post("/sla/policies/new/", policy_post(**changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert not SlaPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="sla_policy.save").exists()


def test_a_policy_without_any_target_is_refused(lead_client):
    response = lead_client.post("/sla/policies/new/", policy_post(first_response_minutes="", resolution_minutes=""))

    assert response.status_code == 400
    assert "Set at least one target" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_duplicate_name_is_refused_on_the_name_field(lead_client, lead):
    saved_policy(lead, name="Urgent chat")

    response = lead_client.post("/sla/policies/new/", policy_post())

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["A policy called 'Urgent chat' exists already."]
    assert SlaPolicy.objects.count() == 1


def test_an_unknown_team_in_the_form_is_a_field_error(lead_client):
    response = lead_client.post("/sla/policies/new/", policy_post(team=["atlantis"]))

    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not SlaPolicy.objects.exists()


def test_a_failed_edit_keeps_the_current_version(lead_client, lead):
    policy = saved_policy(lead)

    response = lead_client.post(f"/sla/policies/{policy.pk}/", policy_post(first_response_minutes="0"))

    assert response.status_code == 400
    assert SlaPolicyVersion.objects.filter(policy=policy).count() == 1


# --- the overview ------------------------------------------------------------------------------


def test_the_overview_lists_policies_in_matching_order_with_their_targets(lead_client, lead, team):
    calendar = BusinessCalendarFactory(name="Manila weekdays")
    saved_policy(lead, name="VIP anything", conditions={"tier": ["vip"]}, first_response_minutes=30, calendar=calendar)
    standard = saved_policy(lead, name="Standard e-mail", conditions={"channel": ["email"], "team": [team.slug]})
    saved_policy(lead, standard, name="Standard e-mail", conditions={"channel": ["email"], "team": [team.slug]})
    saved_policy(lead, name="Everything else", conditions={}, resolution_minutes=4800)

    html = lead_client.get("/sla/").content.decode()

    table = html.split('id="policies"')[1].split("</table>")[0]
    assert table.index("VIP anything") < table.index("Standard e-mail") < table.index("Everything else")
    assert "Tier:</span> VIP" in table
    assert "Channel:</span> E-mail" in table
    assert f"Team:</span> {team.name}" in table
    assert "Every case" in table
    assert "Manila weekdays" in table
    assert "Around the clock" in table
    assert 'v2 <span class="muted">(2 versions)</span>' in table
    assert "40h" in table  # 2400 minutes of resolution


def test_moving_a_policy_changes_which_applies_first(lead_client, lead):
    first = saved_policy(lead, name="First")
    second = saved_policy(lead, name="Second")

    response = lead_client.post(f"/sla/policies/{second.pk}/move/", {"direction": "up"})

    assert response.status_code == 302
    assert list(SlaPolicy.objects.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]
    assert lead_client.post(f"/sla/policies/{second.pk}/move/", {"direction": "sideways"}).status_code == 400


def test_moving_needs_a_post(lead_client, lead):
    policy = saved_policy(lead)

    assert lead_client.get(f"/sla/policies/{policy.pk}/move/?direction=up").status_code == 405


def test_switching_a_policy_off_and_on_from_the_overview(lead_client, lead):
    policy = saved_policy(lead)

    lead_client.post(f"/sla/policies/{policy.pk}/active/", {"is_active": "0"})
    policy.refresh_from_db()
    assert not policy.is_active
    html = lead_client.get("/sla/").content.decode()
    assert f'<tr id="policy-{policy.pk}" class="inactive">' in html
    assert "Switch on" in html

    lead_client.post(f"/sla/policies/{policy.pk}/active/", {"is_active": "1"})
    policy.refresh_from_db()
    assert policy.is_active
    assert policy.versions.count() == 1


def test_the_stop_the_clock_table_sums_pauses_and_unmatched_cases_per_team(lead_client, team, other_team):
    mine = CaseFactory(team=team)
    theirs = CaseFactory(team=other_team)
    timer = SlaTimerFactory(case=mine, started_at=NOW - timedelta(days=3))
    other_timer = SlaTimerFactory(case=mine, metric=SlaMetric.RESOLUTION, started_at=NOW - timedelta(days=3))
    for started, minutes in ((NOW - timedelta(days=2), 90), (NOW - timedelta(days=1), 45)):
        SlaPause.objects.create(
            timer=timer, started_at=started, ended_at=started + timedelta(hours=2), business_minutes=minutes, reason="x"
        )
    SlaPause.objects.create(timer=other_timer, started_at=NOW - timedelta(hours=1), reason="Waiting on the customer")
    # Older than the window: not counted.
    SlaPause.objects.create(
        timer=other_timer,
        started_at=NOW - timedelta(days=40),
        ended_at=NOW - timedelta(days=39),
        business_minutes=600,
        reason="x",
    )
    CaseEventFactory(case=theirs, kind=EventKind.SLA, data={"event": "no_policy"}, created_at=NOW - timedelta(days=5))
    CaseEventFactory(case=mine, kind=EventKind.SLA, data={"event": "paused"}, created_at=NOW - timedelta(days=1))

    html = lead_client.get("/sla/").content.decode()

    table = html.split('id="stop-the-clock"')[1].split("</table>")[0]
    cells = [re.sub(r"<[^>]+>", "|", row).strip("|").split("|") for row in re.findall(r"<tr><td>(.*?)</tr>", table)]
    cleaned = [[cell for cell in row if cell] for row in cells]
    assert cleaned == [
        [team.name, "3", "1", "2h 15m", "0"],
        [other_team.name, "0", "0", "0m", "1"],
    ]


def test_the_overview_costs_the_same_however_many_policies(lead_client, lead, team, django_assert_max_num_queries):
    for n in range(3):
        saved_policy(lead, name=f"Policy {n}", conditions={"team": [team.slug], "category": ["withdrawals"]})
    with django_assert_max_num_queries(20) as few:
        lead_client.get("/sla/")
    for n in range(3, 15):
        saved_policy(lead, name=f"Policy {n}", conditions={"team": [team.slug], "category": ["withdrawals"]})

    with django_assert_max_num_queries(len(few)) as many:
        response = lead_client.get("/sla/")

    assert response.status_code == 200
    assert len(many) == len(few)


# --- timers on the queue -----------------------------------------------------------------------


def running_timer(case, *, metric=SlaMetric.FIRST_RESPONSE, started_minutes_ago: int, target: int, **fields):
    """An around-the-clock timer (no calendar), so "time left" is plain elapsed minutes."""
    return SlaTimerFactory(
        case=case,
        metric=metric,
        started_at=NOW - timedelta(minutes=started_minutes_ago),
        target_minutes=target,
        **fields,
    )


def test_queue_rows_show_each_running_timer_with_its_state(lead_client, team):
    on_track = CaseFactory(team=team, subject="On track")
    running_timer(on_track, started_minutes_ago=40, target=120)
    running_timer(on_track, metric=SlaMetric.RESOLUTION, started_minutes_ago=40, target=480)
    warning = CaseFactory(team=team, subject="Warning")
    running_timer(warning, started_minutes_ago=100, target=120)
    breached = CaseFactory(team=team, subject="Breached")
    running_timer(breached, metric=SlaMetric.RESOLUTION, started_minutes_ago=300, target=120)
    paused = CaseFactory(team=team, subject="Paused")
    running_timer(paused, started_minutes_ago=30, target=120, paused_at=NOW - timedelta(minutes=10))
    finished = CaseFactory(team=team, subject="Answered")
    running_timer(finished, started_minutes_ago=30, target=120, met_at=NOW - timedelta(minutes=5))
    untimed = CaseFactory(team=team, subject="No policy")

    response = lead_client.get("/cases/")

    html = response.content.decode()
    assert sla_cell(response, on_track) == "● First response 1h 20m left ● Resolution 7h 20m left"
    assert sla_cell(response, warning) == "▲ First response 20m left"
    assert sla_cell(response, breached) == "✕ Resolution 3h overdue"
    assert sla_cell(response, paused) == "‖ First response paused"
    # Finished timers leave the queue; the case page keeps them.
    assert sla_cell(response, finished) == "—"
    assert sla_cell(response, untimed) == "—"
    # Colour is a class per state, and never the only signal: the sign and words say it too.
    for state in ("ok", "warning", "breached", "paused"):
        assert f'class="sla sla-{state}"' in html


def test_the_queue_polls_itself_every_minute_unless_cases_are_selected(lead_client, team):
    CaseFactory(team=team)

    response = lead_client.get("/cases/?priority=normal", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    poller = re.search(r'<div class="queue-refresh"([^>]*)>', html).group(1)
    assert 'hx-get="/cases/?priority=normal"' in poller
    assert 'hx-target="#queue-table"' in poller
    assert 'hx-trigger="every 60s"' in poller
    # static/js/desk.js holds the poll back while this matches (no eval'd filter under the CSP).
    assert 'data-poll-paused-while="#queue-table input[name=cases]:checked' in poller


def test_breaching_soonest_puts_the_earliest_due_first_and_untimed_cases_last(lead_client, team):
    later = CaseFactory(team=team, sla_due_at=NOW + timedelta(hours=5))
    untimed_new = CaseFactory(team=team, received_at=NOW - timedelta(minutes=5))
    overdue = CaseFactory(team=team, sla_due_at=NOW - timedelta(hours=1))
    soon = CaseFactory(team=team, sla_due_at=NOW + timedelta(minutes=10))
    untimed_old = CaseFactory(team=team, received_at=NOW - timedelta(days=2))

    ascending = rows(lead_client.get("/cases/?sort=sla"))
    descending = rows(lead_client.get("/cases/?sort=-sla"))

    assert ascending == [c.reference for c in (overdue, soon, later, untimed_new, untimed_old)]
    assert descending == [c.reference for c in (later, soon, overdue, untimed_new, untimed_old)]


def test_the_sla_column_header_sorts_breaching_soonest_first(lead_client, team):
    CaseFactory(team=team)

    html = lead_client.get("/cases/").content.decode()

    link = re.search(r'<a href="\?([^"]*)">SLA</a>', html)
    assert link, "the SLA column header is not a sort link"
    assert "sort=sla" in link.group(1)
    assert "sort=-sla" not in link.group(1)


@pytest.fixture
def timed_cases(team):
    cases = {}
    cases["ok"] = CaseFactory(team=team, subject="ok")
    running_timer(cases["ok"], started_minutes_ago=10, target=120)
    cases["warning"] = CaseFactory(team=team, subject="warning")
    running_timer(cases["warning"], started_minutes_ago=100, target=120)
    cases["warned"] = CaseFactory(team=team, subject="warned by the sweep")
    running_timer(cases["warned"], started_minutes_ago=10, target=120, warn_at=None, warned_at=NOW)
    cases["overdue"] = CaseFactory(team=team, subject="overdue, not swept yet")
    running_timer(cases["overdue"], started_minutes_ago=200, target=120)
    cases["breached"] = CaseFactory(team=team, subject="breached then paused")
    running_timer(
        cases["breached"],
        started_minutes_ago=200,
        target=120,
        breached_at=NOW - timedelta(minutes=80),
        paused_at=NOW - timedelta(minutes=5),
    )
    cases["paused"] = CaseFactory(team=team, subject="paused in time")
    running_timer(cases["paused"], started_minutes_ago=300, target=600, paused_at=NOW - timedelta(minutes=60))
    cases["met"] = CaseFactory(team=team, subject="met late")
    running_timer(cases["met"], started_minutes_ago=300, target=120, met_at=NOW - timedelta(minutes=5))
    cases["none"] = CaseFactory(team=team, subject="no timer")
    return cases


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("breached", {"overdue", "breached"}),
        ("warning", {"warning", "warned"}),
        ("paused", {"breached", "paused"}),
    ],
)
def test_it_filters_by_sla_state(lead_client, timed_cases, value, expected):
    response = lead_client.get(f"/cases/?sla={value}")

    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(timed_cases[key].reference for key in expected)


def test_an_unknown_sla_filter_is_a_bad_request(lead_client, timed_cases):
    response = lead_client.get("/cases/?sla=late")

    assert response.status_code == 400
    assert rows(response) == []
    assert "Some filters are not valid" in response.content.decode()


def test_the_sla_filter_reads_the_page_without_deduplicating(lead_client, team, timed_cases):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        lead_client.get("/cases/?sla=breached&sort=sla")
    [page_sql] = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "cases_case"' in q["sql"] and "LIMIT" in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert "DISTINCT" not in page_sql
    assert "EXISTS" in page_sql


# --- the case page's SLA panel -----------------------------------------------------------------


@pytest.fixture
def timed_case(team, lead):
    calendar = BusinessCalendarFactory(name="Manila weekdays")
    policy = saved_policy(lead, name="Standard e-mail", calendar=calendar)
    saved_policy(lead, policy, name="Standard e-mail", calendar=calendar, first_response_minutes=120)
    version = policy.versions.get(number=2)
    case = CaseFactory(team=team, received_at=NOW - timedelta(hours=2))
    answered = running_timer(
        case,
        started_minutes_ago=120,
        target=120,
        policy_version=version,
        met_at=NOW - timedelta(minutes=90),
    )
    resolution = running_timer(
        case,
        metric=SlaMetric.RESOLUTION,
        started_minutes_ago=120,
        target=600,
        policy_version=version,
        paused_minutes=45,
        due_at=NOW + timedelta(minutes=525),
    )
    SlaPause.objects.create(
        timer=resolution,
        started_at=NOW - timedelta(minutes=100),
        ended_at=NOW - timedelta(minutes=55),
        business_minutes=45,
        reason="Asked for the destination wallet address",
        actor=lead,
    )
    return case, answered, resolution


def test_the_case_page_lists_every_timer_with_policy_target_due_time_and_pauses(client_for, team, timed_case):
    case, answered, resolution = timed_case
    manila_agent = UserFactory(role=Role.AGENT, teams=[team], time_zone="Asia/Manila")

    html = client_for(manila_agent).get(f"/cases/{case.reference}/").content.decode()

    panel = html.split('id="sla-panel"')[1].split("</section>")[0]
    first = panel.split(f'id="sla-timer-{answered.pk}"')[1].split("</article>")[0]
    assert "First response: Met" in first
    assert "Standard e-mail · v2" in first
    assert "2h" in first
    second = panel.split(f'id="sla-timer-{resolution.pk}"')[1].split("</article>")[0]
    assert "Resolution: On track" in second
    assert "10h around the clock" in second
    # Due 20:45 UTC is 04:45 the next morning in Manila: times are in the viewer's zone.
    assert "Wed 11 Mar, 04:45" in second
    assert "8h 45m" in second
    assert "1 pause" in second
    assert "Asked for the destination wallet address" in second
    assert "Times in Asia/Manila" in panel


def test_the_sla_panel_refreshes_alone(client_for, agent, timed_case):
    case, _, resolution = timed_case

    response = client_for(agent).get(f"/cases/{case.reference}/sla/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card sla-panel" id="sla-panel"')
    assert f'hx-get="/cases/{case.reference}/sla/"' in html
    assert 'hx-trigger="every 60s"' in html
    assert f'id="sla-timer-{resolution.pk}"' in html


def test_the_sla_panel_of_another_teams_case_is_not_found(client_for, outsider, timed_case):
    case, _, _ = timed_case

    assert client_for(outsider).get(f"/cases/{case.reference}/sla/").status_code == 404


def test_a_case_without_timers_says_so(client_for, agent, case):
    html = client_for(agent).get(f"/cases/{case.reference}/").content.decode()

    assert "No SLA timers on this case." in html


def test_an_overdue_timer_reads_overdue_on_the_case_page(client_for, agent, team):
    case = CaseFactory(team=team)
    running_timer(case, metric=SlaMetric.RESOLUTION, started_minutes_ago=200, target=120)

    html = client_for(agent).get(f"/cases/{case.reference}/sla/").content.decode()

    assert "Resolution: Breached" in html
    assert re.search(r"<dt>Overdue</dt>\s*<dd[^>]*>1h 20m</dd>", html)


# --- SLA facts on the timeline ----------------------------------------------------------------


def test_the_timeline_says_what_happened_to_the_clocks(client_for, agent, team):
    case = CaseFactory(team=team)
    at = case.received_at
    facts = [
        (EventKind.SLA, {"event": "no_policy"}, ""),
        (EventKind.SLA, {"event": "paused", "metrics": ["first_response", "resolution"], "reason": "Asked for ID"}, ""),
        (EventKind.SLA, {"event": "resumed", "business_minutes": {"first_response": 95}}, ""),
        (EventKind.SLA, {"event": "warning", "metric": "resolution", "due_at": "2026-03-10T14:00:00+00:00"}, ""),
        (EventKind.SLA, {"event": "breached", "metric": "first_response", "due_at": "2026-03-10T11:30:00+00:00"}, ""),
        (EventKind.FIELDS, {"priority": {"from": "normal", "to": "high"}, "reason": "sla_breach"}, ""),
    ]
    for minutes, (kind, data, body) in enumerate(facts):
        CaseEventFactory(case=case, kind=kind, data=data, body=body, created_at=at + timedelta(minutes=minutes))

    html = client_for(agent).get(f"/cases/{case.reference}/").content.decode()

    texts = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r'<li class="event event-(?:sla|fields)".*?</div>\s*(.*?)</li>', html, re.S)
    ]
    assert texts == [
        "No SLA policy matched this case, so no SLA timers run.",
        "SLA clock paused (first response, resolution): Asked for ID",
        "SLA clock resumed: first response stood still 1h 35m",
        "Resolution due soon, at Tue 10 Mar, 14:00",
        "First response target breached: it was due Tue 10 Mar, 11:30",
        "Priority: normal → high (SLA breach)",
    ]


def test_the_case_panel_shows_running_and_latest_finished_timers_and_the_rest_on_request(lead_client, case):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for hour in range(6):
        SlaTimerFactory(
            case=case,
            metric=SlaMetric.NEXT_RESPONSE,
            started_at=start + timedelta(hours=hour),
            met_at=start + timedelta(hours=hour, minutes=30),
        )
    SlaTimerFactory(case=case, metric=SlaMetric.RESOLUTION, started_at=start, target_minutes=10_000)

    page = lead_client.get(f"/cases/{case.reference}/").content.decode()
    everything = lead_client.get(f"/cases/{case.reference}/sla/?all=1").content.decode()

    assert page.count('class="sla-timer ') == 4
    assert "Show 3 earlier finished timers" in page
    assert everything.count('class="sla-timer ') == 7
    assert "earlier finished" not in everything
