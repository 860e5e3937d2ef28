"""Pain point pages: who gets what, bad input answered in place, and fixed query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.choices import EventKind as CaseEventKind
from cases.models import CaseEvent
from painpoints import services
from painpoints.choices import IdentifierKind, JobKind, LinkSource, PainPointStatus
from painpoints.models import BulkJob, CaseIdentifier, PainPointLink
from painpoints.services import pain_point_create
from tests.factories import CaseFactory

from .conftest import SCAM_SITE, SCAM_WALLET, tag

pytestmark = pytest.mark.django_db


def test_the_case_page_lists_other_cases_sharing_the_wallet_but_never_restricted_or_unseen_ones(
    client_for, wave, agent
):
    page = client_for(agent).get(reverse("cases:detail", args=[wave.victims[0].reference])).content.decode()
    assert "Other cases sharing this wallet address: 5" in page
    for other in wave.victims[1:]:
        assert other.reference in page
    assert wave.referred.reference not in page  # referred to the FIU: restricted
    assert wave.outsider_case.reference not in page  # another team's
    assert SCAM_SITE in page


def test_the_fiu_sees_the_referred_case_among_the_sharers(client_for, wave):
    from tests.factories import UserFactory

    fiu = UserFactory(username="fern", role="fiu")
    page = client_for(fiu).get(reverse("cases:detail", args=[wave.victims[0].reference])).content.decode()
    assert "Other cases sharing this wallet address: 7" in page


def test_an_agent_adds_an_unverified_address_and_sees_it_marked(client_for, agent, case):
    response = client_for(agent).post(
        reverse("painpoints:identifier_add", args=[case.reference]),
        {"kind": IdentifierKind.WALLET, "chain": "", "value": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"},
        follow=True,
    )
    page = response.content.decode()
    assert "unverified" in page and "EIP-55 checksum does not match" in page
    assert "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD" in page  # shown as written
    assert CaseIdentifier.objects.get(case=case).verified is False


def test_an_outsider_cannot_add_identifiers(client_for, outsider, auditor, case):
    url = reverse("painpoints:identifier_add", args=[case.reference])
    data = {"kind": IdentifierKind.PHONE, "value": "+14155550199"}
    assert client_for(outsider).post(url, data).status_code == 404
    assert client_for(auditor).post(url, data).status_code == 403
    assert not CaseIdentifier.objects.exists()


def test_the_cluster_reaches_two_hops_and_says_when_a_limit_stopped_it(client_for, wave, lead):
    client = client_for(lead)
    page = client.get(reverse("painpoints:cluster", args=[wave.victims[3].reference])).content.decode()
    assert "<strong>7 cases</strong>" in page  # six victims and the case two hops out
    assert wave.second_hop.reference in page
    assert wave.referred.reference not in page and wave.outsider_case.reference not in page
    assert wave.unrelated.reference not in page
    assert "Stopped" not in page


def test_the_cluster_states_its_size_and_depth_limits(wave, lead):
    from painpoints.selectors import case_cluster

    shallow = case_cluster(user=lead, case=wave.victims[3], max_depth=1)
    assert shallow.depth_limited and not shallow.size_limited
    assert wave.second_hop not in shallow.cases and len(shallow.cases) == 6
    small = case_cluster(user=lead, case=wave.victims[3], max_cases=3)
    assert small.size_limited and len(small.cases) == 3


def test_a_lead_links_a_cluster_and_the_list_shows_the_impact(
    client_for, wave, lead, django_capture_on_commit_callbacks
):
    client = client_for(lead)
    ids = [c.pk for c in [*wave.victims, wave.second_hop]]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("painpoints:cluster_link", args=[wave.victims[0].reference]),
            {"pain_point": wave.pain_point.pk, "cases": ids},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    services.bulk_job_run(job_id=BulkJob.objects.get().pk)
    page = client.get(reverse("painpoints:detail", args=[wave.pain_point.pk])).content.decode()
    assert '<dd id="impact-cases">7</dd>' in page and '<dd id="impact-customers">7</dd>' in page
    assert "7 linked of 7" in page


def test_a_cluster_link_with_an_unseen_case_links_nothing(client_for, wave, lead):
    response = client_for(lead).post(
        reverse("painpoints:cluster_link", args=[wave.victims[0].reference]),
        {"pain_point": wave.pain_point.pk, "cases": [wave.victims[0].pk, wave.outsider_case.pk]},
    )
    assert response.status_code == 404
    assert not BulkJob.objects.exists() and not PainPointLink.objects.exists()


def test_linking_an_unseen_case_by_hand_answers_404_with_the_form(client_for, wave, lead):
    response = client_for(lead).post(
        reverse("painpoints:link", args=[wave.pain_point.pk]), {"reference": wave.outsider_case.reference}
    )
    assert response.status_code == 404
    assert "that you can see; nothing was linked" in response.content.decode()
    assert not PainPointLink.objects.exists()


def test_linking_from_a_queue_filter(client_for, wave, lead, team):
    client = client_for(lead)
    queue = f"http://desk.example/cases/?team={team.pk}&q=support+agent"
    response = client.post(reverse("painpoints:link_queue", args=[wave.pain_point.pk]), {"queue_filter": queue})
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert (job.kind, job.source, job.total) == (JobKind.LINK, LinkSource.QUEUE, 6)


def test_sending_shows_the_preview_and_refuses_no_text_and_a_second_send(client_for, wave, lead):
    client = client_for(lead)
    job = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=[c.pk for c in wave.victims],
                                   source=LinkSource.CLUSTER)  # fmt: skip
    services.bulk_job_run(job_id=job.pk)
    pp = services.pain_point_change_status(actor=lead, pain_point=wave.pain_point, to_status=PainPointStatus.FIXED,
                                           expected_version=wave.pain_point.version)  # fmt: skip
    page = client.get(reverse("painpoints:detail", args=[pp.pk])).content.decode()
    assert "Reaches <strong>6 cases</strong> of <strong>6 customers</strong>" in page
    url = reverse("painpoints:send", args=[pp.pk])
    refused = client.post(url, {"macro_version": ""})
    assert refused.status_code == 400 and "only ever sent from approved text" in refused.content.decode()
    assert client.post(url, {"macro_version": wave.answer.pk}).status_code == 302
    services.bulk_job_run(job_id=BulkJob.objects.get(kind=JobKind.SEND).pk)
    again = client.post(url, {"macro_version": wave.answer.pk})
    assert again.status_code == 409 and "already sent" in again.content.decode()
    assert CaseEvent.objects.filter(kind=CaseEventKind.REPLY).count() == 6


def test_the_progress_fragment_polls_until_done(client_for, wave, lead):
    job = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=[wave.victims[0].pk],
                                   source=LinkSource.CLUSTER)  # fmt: skip
    client = client_for(lead)
    running = client.get(reverse("painpoints:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in running and "0 linked of 1" in running
    services.bulk_job_run(job_id=job.pk)
    done = client.get(reverse("painpoints:job", args=[job.pk])).content.decode()
    assert "hx-trigger" not in done and "1 linked of 1" in done


def test_the_owner_team_sees_its_pain_points_only(client_for, wave, fraud_specialist, lead, other_team):
    other = pain_point_create(actor=lead, title="ID checks reject VIC licences", owner_team=other_team)
    client = client_for(fraud_specialist)
    page = client.get(reverse("painpoints:index") + "?status=all").content.decode()
    assert wave.pain_point.title in page and other.title not in page
    assert client.get(reverse("painpoints:detail", args=[other.pk])).status_code == 404
    # The owner team moves its pain point along, but cannot link or send.
    url = reverse("painpoints:status", args=[wave.pain_point.pk])
    assert client.post(url, {"to_status": "fix_in_progress", "version": 1}).status_code == 302
    assert client.post(reverse("painpoints:link", args=[wave.pain_point.pk]), {"reference": "x"}).status_code == 403


def test_the_pain_point_index_and_dashboard_cost_the_same_queries_however_many(
    client_for, wave, lead, django_assert_max_num_queries, fraud_team
):
    client = client_for(lead)
    url = reverse("painpoints:index") + "?status=all"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(8):
        pp = pain_point_create(actor=lead, title=f"Problem {i}", owner_team=fraud_team)
        case = CaseFactory(team=wave.victims[0].team)
        tag(case, IdentifierKind.WALLET, SCAM_WALLET)
        services.pain_point_link_case(actor=lead, pain_point=pp, reference=case.reference, amount_at_stake=10)
        services.pain_point_change_status(actor=lead, pain_point=pp, to_status="fixed", expected_version=pp.version)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Problem 7" in page and "+1" in page


def test_the_detail_page_costs_the_same_queries_however_many_links(
    client_for, wave, lead, django_assert_max_num_queries
):
    client = client_for(lead)
    url = reverse("painpoints:detail", args=[wave.pain_point.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=wave.victims[0].reference)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    job = services.bulk_link_start(actor=lead, pain_point=wave.pain_point, case_ids=[c.pk for c in wave.victims[1:]],
                                   source=LinkSource.CLUSTER)  # fmt: skip
    services.bulk_job_run(job_id=job.pk)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_the_dashboard_counts_growth_time_to_fix_and_the_share_of_volume(wave, lead, fraud_team):
    from datetime import timedelta

    from django.utils import timezone

    from painpoints.selectors import pain_point_dashboard

    now = timezone.now()
    for victim in wave.victims[:4]:
        services.pain_point_link_case(actor=lead, pain_point=wave.pain_point, reference=victim.reference)
    PainPointLink.objects.filter(case=wave.victims[0]).update(linked_at=now - timedelta(days=9))
    other = pain_point_create(actor=lead, title="Bank X delays", owner_team=fraud_team)
    services.pain_point_link_case(actor=lead, pain_point=other, reference=wave.unrelated.reference)
    first = wave.unrelated.received_at
    other = services.pain_point_change_status(actor=lead, pain_point=other, to_status="fixed", expected_version=1)
    board = pain_point_dashboard(user=lead, now=now)
    assert [(p.title, p.this_week, p.before) for p in board["growth"]] == [
        (wave.pain_point.title, 3, 1),
        ("Bank X delays", 1, 0),
    ]
    assert [p.title for p in board["fixes"]] == ["Bank X delays"]
    assert abs(board["fixes"][0].to_fix - (other.fixed_at - first)) < timedelta(seconds=1)
    # Cases the lead sees from the last 30 days: six victims, the referred one left out, the
    # case two hops out and the unrelated one; four are linked to the open pain point.
    assert (board["volume_explained"], board["volume_total"]) == (4, 8)
