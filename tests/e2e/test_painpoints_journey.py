"""On demo data with the seeded scam wave, a lead finds the cluster from one victim's case, opens a
pain point, links the cluster, marks it fixed and sends one approved answer, which a real Celery
worker posts on every linked open case; a second send is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cases.choices import OPEN_STATUSES
from cases.choices import EventKind as CaseEventKind
from cases.demo import DEMO_PASSWORD
from cases.models import Case, CaseEvent
from painpoints.demo import ANSWER_SLUG_TITLE, SCAM_WALLET
from painpoints.models import BulkJob, CaseIdentifier, PainPoint, PainPointLink
from people.models import User
from tests.integration.conftest import redis_producer, worker_factory  # noqa: F401 - fixtures used below
from tests.integration.support import TEST_REDIS_URL, process_env

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_lead_answers_a_scam_wave_once_from_one_victims_case(open_session, worker_factory, redis_producer):  # noqa: F811
    as_of = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    call_command("seed_demo", cases=600, seed=3, as_of=as_of.isoformat())
    worker = worker_factory(env=process_env(redis_url=TEST_REDIS_URL), queues="default")
    worker.wait_for_log("ready.", timeout=30)
    wave = Case.objects.filter(identifiers__value=SCAM_WALLET.lower())
    victim = wave.filter(status__in=OPEN_STATUSES).order_by("reference").first()
    assert wave.count() >= 30 and victim is not None

    lead = open_session()
    page = lead.page
    page.goto(lead.url("/login/"))
    page.get_by_label("Username").fill("lead.us")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # 1. One victim's case shows the other cases sharing the scam wallet.
    page.goto(lead.url(f"/cases/{victim.reference}/"))
    panel = page.locator("#identifiers-panel")
    expect(panel).to_contain_text("Other cases sharing this wallet address")
    expect(panel).to_contain_text(SCAM_WALLET)
    lead.shot("painpoints-01-victim-case")

    # 2. The cluster: every case connected through shared identifiers, US and AU.
    panel.get_by_role("link", name="Cluster view").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(victim.reference)
    summary = page.locator("#cluster-summary")
    expect(summary).to_contain_text("in AU")
    expect(summary).to_contain_text("in US")
    cluster_size = int(re.match(r"(\d+) cases", summary.inner_text()).group(1))
    assert cluster_size >= wave.count()
    lead.shot("painpoints-02-cluster")
    cluster_url = page.url

    # 3. A new pain point for the wave, owned by Fraud & Scam.
    page.get_by_role("link", name="Open a new pain point first…").click()
    page.get_by_label("Title").fill("Scam wave: fake support desk on social media")
    page.get_by_label("Description").fill("Victims called a fake support number and paid a 'safe wallet'.")
    page.get_by_label("Owner team").select_option(label="Fraud & Scam")
    page.get_by_role("button", name="Open pain point").click()
    expect(page.locator("#pain-status")).to_have_text("Investigating")

    # 4. Link the whole cluster (a Celery job; the page polls its progress).
    page.goto(cluster_url)
    page.get_by_label("Link the ticked cases to").select_option(
        label="Scam wave: fake support desk on social media (investigating)"
    )
    page.get_by_role("button", name="Link ticked cases").click()
    expect(page.locator(".job").first).to_contain_text(f"{cluster_size} linked of {cluster_size}", timeout=30_000)
    page.reload()
    expect(page.locator("#impact-cases")).to_have_text(str(cluster_size))
    lead.shot("painpoints-03-linked")

    # 5. Fixed: the answer can go out, with its reach shown first.
    page.get_by_label("Move to").select_option(label="Fixed")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#pain-status")).to_have_text("Fixed")
    pain_point = PainPoint.objects.get(title="Scam wave: fake support desk on social media")
    reach = Case.objects.visible_to(User.objects.get(username="lead.us")).filter(
        pain_point_links__pain_point=pain_point, status__in=OPEN_STATUSES
    )
    expected = reach.count()
    assert expected >= 5
    expect(page.locator("#send-preview")).to_contain_text(f"Reaches {expected} cases")

    # 6. Without approved text nothing is sent; with it, once, to every linked open case.
    page.get_by_role("button", name=re.compile(r"^Send to")).click()
    expect(page.locator("#send-answer")).to_contain_text("only ever sent from approved text")
    page.get_by_label("Approved reply").select_option(label=f"{ANSWER_SLUG_TITLE} (v1)")
    page.get_by_role("button", name=re.compile(r"^Send to")).click()
    expect(page.locator(".job").first).to_contain_text(f"{expected} sent of {expected}", timeout=60_000)
    lead.shot("painpoints-04-sent")
    page.get_by_label("Approved reply").select_option(label=f"{ANSWER_SLUG_TITLE} (v1)")
    page.get_by_role("button", name=re.compile(r"^Send to")).click()
    expect(page.locator("#send-answer")).to_contain_text("already sent for this pain point")

    # 7. The answer is on the victim's case, and on every other linked open case exactly once.
    page.goto(lead.url(f"/cases/{victim.reference}/"))
    expect(page.locator("body")).to_contain_text("The website and phone number they used have been taken down")
    lead.shot("painpoints-05-answer-on-case")
    send = BulkJob.objects.get(pain_point=pain_point, kind="send")
    assert (send.total, send.done, send.skipped) == (expected, expected, 0)
    for case in reach:
        assert (
            CaseEvent.objects.filter(
                case=case, kind=CaseEventKind.REPLY, data__macro_version_id=send.macro_version_id
            ).count()
            == 1
        )
    assert PainPointLink.objects.filter(pain_point=pain_point).count() == cluster_size
    assert CaseIdentifier.objects.filter(verified=False).exists()  # the mistyped wallet, kept unverified
    assert lead.js_errors == [] and lead.static_failures == []
