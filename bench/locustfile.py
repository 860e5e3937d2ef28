"""The desk's people and systems for the load test; ``bench/load.py`` runs this file headless.

Who is simulated (weights are shares of the users):

- agents (30): open My cases, open a case from it (or from the team queue), read it, and about
  every other time post a public reply or an internal note through htmx; now and then the case
  page's SLA panel polls, as it does every minute in a browser;
- leads (10): triage the queue with filters (new and unassigned, breaching soonest, urgent),
  assign one or two cases from a filtered page to an agent of the team (bulk assign), and open
  cases;
- compliance reviewers (5): open the review queue, open a flag, and sign it off with the first
  plain reason code (no payment, referral or off-boarding) when the page offers the form;
- integrations (5): ingest tickets through the intake API with a bearer token, and list cases.

Each person waits ``LOAD_THINK`` seconds (default 5 to 15, at random) between clicks: a brisk
desk, since reading a case and writing a reply take longer. People are signed in before the run
(``bench/load.py`` writes their session cookies to the file named by ``LOAD_FIXTURE``): a
desk's people sign in once per shift, not once a minute. Request
names start with the kind of request (``page:``, ``post:``, ``poll:``, ``api:``) so the report
can hold pages to their target. A sign-off that loses a race to another reviewer (409: the flag
moved on) is a correct answer, counted as ``conflicts`` in ``LOAD_OUTCOME``, not an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, constant_pacing, events, task

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115 - read once at import
CASE_LINK = re.compile(r'<td class="ref"><a href="(/cases/[^/"]+/)">')
CASE_ID = re.compile(r'name="cases" value="(\d+)"')
FLAG_LINK = re.compile(r'href="(/compliance/flags/\d+/)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEEN_HASH = re.compile(r'name="seen_hash" value="([^"]+)"')
REASON = re.compile(r'<select name="reason"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="(\d+)"')
LABELLED_OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]*)<')
# Reason codes a load-test reviewer leaves alone: payments need an amount, FIU referrals and
# off-boarding change more than the flag.
NOT_UNDER_LOAD = re.compile(r"goodwill|pay|reimburse|refer|fiu|off-board", re.I)
ASSIGNEE = re.compile(r'<select name="assignee"[^>]*>(.*?)</select>', re.S)
HTMX = {"HX-Request": "true"}

_sessions = {role: itertools.cycle(FIXTURE[role]) for role in ("agents", "leads", "reviewers")}
# Seconds a person spends on a page before the next click (``bench/load.py --think``).
THINK = tuple(float(part) for part in os.environ.get("LOAD_THINK", "5,15").split(","))
outcome = {"conflicts": 0}


class SignedIn(HttpUser):
    abstract = True
    role = ""
    # A person reads what a page shows (and writes a reply) before the next click.
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", next(_sessions[self.role]))
        self.csrf = ""

    def page(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=f"page: {name}", catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif "<h1>Sign in</h1>" in response.text:
                response.failure("signed out")
            token = CSRF.search(response.text or "")
            if token:
                self.csrf = token.group(1)
            return response

    def post(self, path: str, name: str, data: dict, *, htmx: bool = False, expect=(200, 302)):
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + path, **(HTMX if htmx else {})}
        with self.client.post(
            path, data=data, headers=headers, name=f"post: {name}", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 409 and 409 in expect:
                outcome["conflicts"] += 1
                response.success()
            elif response.status_code not in expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            return response


class Agent(SignedIn):
    weight = 30
    role = "agents"

    @task(5)
    def work_a_case(self) -> None:
        mine = self.page("/cases/mine/", "my cases")
        links = CASE_LINK.findall(mine.text or "")
        if not links:
            links = CASE_LINK.findall(self.page("/cases/", "team queue").text or "")
        if not links:
            return
        path = random.choice(links)
        self.page(path, "case")
        if random.random() < 0.5:
            internal = random.random() < 0.4
            body = (
                "Checked the ledger; following up with the payments team."
                if internal
                else ("Thank you for your patience. We are looking into this and will update you within 24 hours.")
            )
            data = {"body": body, "kind": "note" if internal else "reply"}
            if internal:
                data["internal"] = "on"
            self.post(f"{path}messages/", "reply or note", data, htmx=True, expect=(200,))

    @task(2)
    def team_queue(self) -> None:
        self.page("/cases/", "team queue")

    @task(1)
    def sla_poll(self) -> None:
        links = CASE_LINK.findall(self.page("/cases/mine/", "my cases").text or "")
        if links:
            path = random.choice(links)
            self.client.get(f"{path}sla/", name="poll: sla panel", headers=HTMX)


class Lead(SignedIn):
    weight = 10
    role = "leads"

    FILTERS = [
        ("queue new unassigned", {"status": "new", "assignee": "null"}),
        ("queue breaching soonest", {"sort": "sla"}),
        ("queue urgent", {"priority": "urgent"}),
        ("queue", {}),
    ]

    @task(4)
    def triage(self) -> None:
        name, params = random.choice(self.FILTERS)
        response = self.page("/cases/", name, params=params)
        ids = CASE_ID.findall(response.text or "")
        choices = ASSIGNEE.search(response.text or "")
        people = OPTION.findall(choices.group(1)) if choices else []
        if ids and people and random.random() < 0.6:
            picked = random.sample(ids, k=min(len(ids), random.choice((1, 2))))
            data = {"cases": picked, "action": "assign", "assignee": random.choice(people), "next": "/cases/"}
            self.post("/cases/bulk/", "bulk assign", data, expect=(302,))

    @task(2)
    def open_a_case(self) -> None:
        links = CASE_LINK.findall(self.page("/cases/", "queue", params={"sort": "sla"}).text or "")
        if links:
            self.page(random.choice(links), "case")


class Reviewer(SignedIn):
    weight = 5
    role = "reviewers"

    @task
    def review(self) -> None:
        flags = FLAG_LINK.findall(self.page("/compliance/", "review queue").text or "")
        if not flags:
            return
        path = random.choice(flags)
        text = self.page(path, "flag review").text or ""
        if 'id="sign-off-form"' not in text:
            return  # this reviewer may not sign this one (they worked on it, or it moved on)
        reasons = REASON.search(text)
        seen = SEEN_HASH.search(text)
        options = LABELLED_OPTION.findall(reasons.group(1)) if reasons else []
        plain = [value for value, label in options if not NOT_UNDER_LOAD.search(label)]
        if plain and seen:
            data = {"reason": plain[0], "note": "Evidence reviewed under load.", "seen_hash": seen.group(1)}
            self.post(path, "sign-off", data, expect=(302, 409))


class Integration(HttpUser):
    weight = 5
    # A helpdesk pushing tickets as they come in: about one request every two seconds each.
    wait_time = constant_pacing(2)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {FIXTURE['token']}"

    @task(3)
    def ingest(self) -> None:
        body = {
            "external_system": "load",
            "external_id": uuid.uuid4().hex,
            "customer": {"account_number": random.choice(FIXTURE["accounts"])},
            "subject": "Withdrawal pending",
            "body": "My withdrawal has been pending since yesterday.",
            "channel": "email",
            "category": random.choice(("withdrawals", "deposits", "card")),
        }
        with self.client.post("/api/v1/intake/tickets/", json=body, name="api: ingest", catch_response=True) as r:
            if r.status_code not in (200, 201):
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(1)
    def case_list(self) -> None:
        self.client.get("/api/v1/cases/?page_size=50", name="api: case list")


@events.quitting.add_listener
def _write_outcome(environment, **_kwargs) -> None:
    path = os.environ.get("LOAD_OUTCOME")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(outcome, out)
