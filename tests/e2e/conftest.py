from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Error, Page, sync_playwright

from cases import services
from cases.choices import Channel, Priority, Status
from cases.models import Case, Category, Customer
from config.celery import app
from people.models import Membership, Team, User
from tests.integration.support import (
    BASE_DIR,
    TEST_REDIS_URL,
    WorkerProcess,
    process_env,
    restore_reference_data,
    start_worker,
    wait_until,
)

ARTIFACTS = BASE_DIR / "test-artifacts"
# Where a failed journey's screenshots go: one folder per test, named in the failure report.
FAILURE_SHOTS = ARTIFACTS / "failures"
QUEUES = ("default", "sla", "routing", "notifications")
_sessions = pytest.StashKey[list["Session"]]()
PASSWORD = "correct horse battery staple 42"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module", autouse=True)
def _reference_data_survives_flush(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for every journey in this folder; each gets its own context (cookies, storage)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        # Playwright's sync API keeps an asyncio loop marked as running in this thread, which
        # Django takes for async code. The ORM calls here (fixtures, assertions, the flush)
        # are plain synchronous calls between browser steps, so the guard is lifted for them.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield chromium
            finally:
                chromium.close()


class Session:
    """One signed-in browser context: its page, screenshots, and the problems it ran into."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.js_errors: list[str] = []
        self.static_failures: list[str] = []
        page.on("pageerror", lambda exc: self.js_errors.append(str(exc)))
        page.on("response", self._on_response)

    def _on_response(self, response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.static_failures.append(f"{response.status} {response.url}")

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def login(self, username: str) -> None:
        self.page.goto(self.url("/login/"))
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def mark_document(self) -> None:
        """Set a marker that survives htmx swaps and disappears on any full page load."""
        self.page.evaluate("window.__sameDocument = 'kept'")

    def same_document(self) -> bool:
        return self.page.evaluate("window.__sameDocument") == "kept"


@pytest.fixture
def open_session(request, browser, live_server) -> Iterator:
    contexts = []
    opened = request.node.stash.setdefault(_sessions, [])

    def open_() -> Session:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        session = Session(context.new_page(), live_server.url)
        opened.append(session)
        return session

    yield open_
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """On a failed journey, a screenshot of every browser it had open, named in the report."""
    report = yield
    sessions = item.stash.get(_sessions, [])
    if report.failed and report.when == "call" and sessions:
        folder = FAILURE_SHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for number, session in enumerate(sessions, start=1):
            path = folder / f"browser-{number}.png"
            try:
                session.page.screenshot(path=path, full_page=True)
            except Error as exc:  # a closed page or a crashed browser: say so, keep the report
                saved.append(f"{path}: not saved ({exc})")
            else:
                saved.append(f"{path} (at {session.page.url})")
        report.sections.append(("screenshots on failure", "\n".join(saved)))
    return report


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[WorkerProcess]:
    """A real ``celery worker`` on every queue, against the test database, for a module's journeys.

    The live server runs in this process, so its tasks go to the test Redis db for the module's
    duration; queues start empty so nothing left by another module's journeys is worked here.
    """
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.close()
    app.conf.broker_url, app.conf.broker_transport_options = TEST_REDIS_URL, {}
    purge_queues()
    with django_db_blocker.unblock():
        env = process_env(redis_url=TEST_REDIS_URL)
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    worker = start_worker(
        env=env,
        queues=",".join(QUEUES),
        log_path=tmp_path_factory.mktemp("worker") / f"{name}.log",
        cwd=BASE_DIR,
        nodename=f"{name}@e2e",
    )
    try:
        worker.wait_for_log("ready.", timeout=60)
        yield worker
    finally:
        worker.stop()
        purge_queues()
        app.close()
        app.conf.broker_url, app.conf.broker_transport_options = saved


def purge_queues() -> None:
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)


def queues_drained(timeout: float = 30) -> bool:
    """True once the worker has taken every queued task and acknowledged it (late acks: a task
    is acknowledged when it has finished)."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client

        def idle() -> bool:
            waiting = sum(client.llen(queue) for queue in QUEUES)
            return waiting == 0 and client.hlen("unacked") == 0

        return wait_until(idle, timeout=timeout, interval=0.1)


@dataclass
class Desk:
    manila: Team
    bogota: Team
    agent: User
    second_agent: User
    lead: User
    outsider: User
    jane: Customer
    cases: dict[str, Case] = field(default_factory=dict)

    def fresh(self, key: str) -> Case:
        return Case.objects.get(pk=self.cases[key].pk)


def _user(username: str, first: str, last: str, role: str, time_zone: str, team: Team) -> User:
    user = User.objects.create_user(
        username, password=PASSWORD, first_name=first, last_name=last, role=role, time_zone=time_zone
    )
    Membership.objects.create(user=user, team=team)
    return user


def _customer(number: str, name: str, email: str, jurisdiction: str) -> Customer:
    return Customer.objects.create(
        account_number=number,
        full_name=name,
        email=email,
        phone="+1 415 555 0142",
        jurisdiction=jurisdiction,
        account_opened_at=timezone.now() - timedelta(days=500),
    )


@pytest.fixture
def desk(transactional_db) -> Desk:
    """A Manila L1 team with an agent, a second agent and a lead; a Bogota team with its own agent."""
    restore_reference_data()
    manila = Team.objects.create(name="Manila L1", slug="manila-l1", kind="frontline", time_zone="Asia/Manila")
    bogota = Team.objects.create(name="Bogota L1", slug="bogota-l1", kind="frontline", time_zone="America/Bogota")
    desk = Desk(
        manila=manila,
        bogota=bogota,
        agent=_user("maria", "Maria", "Santos", "agent", "Asia/Manila", manila),
        second_agent=_user("paolo", "Paolo", "Reyes", "agent", "Asia/Manila", manila),
        lead=_user("dana", "Dana", "Brooks", "lead", "America/New_York", manila),
        outsider=_user("luis", "Luis", "Ortega", "agent", "America/Bogota", bogota),
        jane=_customer("ACC-1000001", "Jane Roe", "jane.roe@example.com", "US-CA"),
    )
    wei = _customer("ACC-1000002", "Wei Chen", "wei.chen@example.org", "US-NY")
    aroha = _customer("ACC-1000003", "Aroha Ngata", "aroha@example.net", "AU-NSW")
    # Whole minutes, a day back: the queue shows "M j, H:i" in the viewer's own zone.
    base = (timezone.now() - timedelta(days=1)).replace(minute=7, second=0, microsecond=0)
    rows = [
        # key, customer, subject, category, priority, status, assignee, hours before base
        ("withdrawal", desk.jane, "Withdrawal stuck after 2FA reset", "withdrawals", "high", "new", desk.agent, 0),
        ("card", wei, "Card payment declined abroad", "card", "urgent", "open", None, 1),
        ("deposit", aroha, "Deposit not credited", "deposits", "normal", "new", None, 2),
        ("tax", desk.jane, "Missing 1099 form", "tax-documents", "low", "pending_customer", None, 3),
        ("fees", wei, "Fee refund request", "fees", "normal", "resolved", None, 4),
        ("staking", aroha, "Staking rewards missing", "trading", "high", "new", None, 5),
    ]
    for key, customer, subject, category, priority, status, assignee, hours in rows:
        desk.cases[key] = _case(
            customer=customer,
            subject=subject,
            category=Category.objects.get(code=category),
            priority=priority,
            status=status,
            team=manila,
            received_at=base - timedelta(hours=hours),
            lead=desk.lead,
            assignee=assignee,
        )
    desk.cases["bogota"] = _case(
        customer=wei,
        subject="Bank transfer returned",
        category=Category.objects.get(code="deposits"),
        priority=Priority.NORMAL,
        status=Status.NEW,
        team=bogota,
        received_at=base,
        lead=None,
        assignee=None,
    )
    return desk


def _case(*, customer, subject, category, priority, status, team, received_at: datetime, lead, assignee) -> Case:
    case = services.case_create(
        actor=None,
        customer=customer,
        subject=subject,
        body=f"Hello, {subject.lower()}. Please help.",
        channel=Channel.EMAIL,
        category=category,
        team=team,
        priority=priority,
        received_at=received_at,
    )
    if status != Status.NEW:
        path = {"open": ["open"], "pending_customer": ["pending_customer"], "resolved": ["open", "resolved"]}[status]
        for step in path:
            case = services.case_change_status(actor=None, case=case, to_status=step, expected_version=case.version)
    if assignee is not None:
        case = services.case_assign(actor=lead, case=case, assignee=assignee, expected_version=case.version)
    return case
