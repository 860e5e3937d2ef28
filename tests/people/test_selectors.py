from __future__ import annotations

import pytest

from people.choices import Role
from people.roles import can_read_cases, can_triage, can_work_cases, role_of
from people.selectors import team_ids_of, team_list_visible_to, user_list_assignable
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_reads_a_users_teams_once_per_request(django_assert_num_queries, team, other_team):
    lead = UserFactory(role=Role.LEAD, teams=[team, other_team])

    with django_assert_num_queries(1):
        first = team_ids_of(lead)
        second = team_ids_of(lead)

    assert sorted(first) == sorted([team.pk, other_team.pk])
    assert second == first


def test_it_offers_only_active_case_workers_of_the_teams_as_assignees(team, other_team, agent, lead, outsider):
    UserFactory(role=Role.AUDITOR, teams=[team])
    UserFactory(role=Role.AGENT, teams=[team], is_active=False)
    specialist = UserFactory(role=Role.SPECIALIST, teams=[team], first_name="Zed", last_name="Spec")

    offered = list(user_list_assignable(team_ids=[team.pk]))

    assert offered == [agent, lead, specialist]
    assert outsider in user_list_assignable(team_ids=[team.pk, other_team.pk])


def test_it_lists_each_assignee_once_across_several_teams(team, other_team):
    both = UserFactory(role=Role.LEAD, teams=[team, other_team])

    assert list(user_list_assignable(team_ids=[team.pk, other_team.pk])) == [both]


def test_it_shows_org_wide_readers_every_team_and_workers_their_own(team, other_team, agent, auditor):
    TeamFactory(name="Fraud")

    assert team_list_visible_to(auditor).count() == 3
    assert list(team_list_visible_to(agent)) == [team]


@pytest.mark.parametrize(
    ("role", "works", "triages", "reads"),
    [
        (Role.AGENT, True, False, True),
        (Role.LEAD, True, True, True),
        (Role.SPECIALIST, True, False, True),
        (Role.COMPLIANCE, False, False, True),
        (Role.FIU, False, False, True),
        (Role.AUDITOR, False, False, True),
        (Role.ADMIN, False, False, False),
    ],
)
def test_it_decides_what_each_role_may_do(role, works, triages, reads):
    user = UserFactory.build(role=role)

    assert role_of(user) == role
    assert (can_work_cases(user), can_triage(user), can_read_cases(user)) == (works, triages, reads)


def test_it_grants_nothing_to_an_unknown_role():
    user = UserFactory.build(role="retired")

    assert role_of(user) is None
    assert not (can_work_cases(user) or can_triage(user) or can_read_cases(user))
