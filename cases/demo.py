"""Demo data for the desk: one fixed organisation, and a seeded year of customers and cases.

This module only generates rows; ``manage.py seed_demo`` writes them. Everything comes from
``random.Random(seed)`` and an explicit ``as_of`` time, so the same seed and ``as_of`` give
the same rows on any database. The staff roster does not depend on the seed at all: the
personas and their colleagues are the same people whichever seed loaded the cases, so a
``--reset`` with another seed updates them in place.

Rows are plain tuples in the column order of ``CUSTOMER_COLUMNS``, ``CASE_COLUMNS``,
``EVENT_COLUMNS``, ``SLA_TIMER_COLUMNS`` and ``SLA_PAUSE_COLUMNS``; times are whole seconds
since the epoch (UTC) until the writer converts them, because integer arithmetic is what keeps
a million cases fast to generate.

Service-SLA timers are not invented separately: each case's finished timeline is replayed
through the same rules the case services apply as the events happen (``SlaReplay``), and the
sweep is taken to have run continuously up to ``as_of``, so the timers, pauses, timeline
entries and ``Case.sla_due_at`` are what the live desk would hold for that history.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from cases.choices import (
    AU_STATES,
    OPEN_STATUSES,
    US_STATES,
    Channel,
    EventKind,
    Priority,
    SlaMetric,
    Status,
    Tier,
)
from cases.sla import DEFAULT_PAUSE_REASON, policy_conditions_match, sla_due_at, sla_warn_at
from cases.sla_sweep import PRIORITY_RAISE
from people.business_time import WorkCalendar, business_minutes_between
from people.choices import Role, TeamKind

# Demo data only: every persona and generated colleague signs in with this (see README).
DEMO_PASSWORD = "demo-desk-2026"  # noqa: S105
STAFF_EMAIL_DOMAIN = "desk.example"
BENCH_SUBJECT_PREFIX = "[bench] "
BENCH_EVENTS = 200

HOUR = 3600
DAY = 24 * HOUR

# --- Organisation ---------------------------------------------------------------------------


def _hours(start: str, end: str, *, saturday: tuple[str, str] | None = None) -> dict[str, list[list[str]]]:
    hours = {str(day): [[start, end]] for day in range(5)}
    if saturday:
        hours["5"] = [list(saturday)]
    return hours


@dataclass(frozen=True)
class TeamSpec:
    name: str
    slug: str
    kind: str
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    weekly_hours: dict


MANILA, KL = "Manila L1", "Kuala Lumpur L1"
FRONTLINE = (MANILA, KL)
NEW_YORK = "America/New_York"

# Opening hours of each team's SLA calendar, in the team's own time zone.
OPENING_HOURS = {
    "manila": _hours("07:00", "23:00", saturday=("09:00", "18:00")),
    "kl": _hours("08:00", "22:00", saturday=("09:00", "18:00")),
    "us-leads": _hours("09:00", "18:00"),
    "au-leads": _hours("09:00", "17:30"),
    "office": _hours("09:00", "17:00"),
    "long": _hours("08:00", "18:00"),
    "fraud": _hours("07:00", "19:00", saturday=("09:00", "15:00")),
}
TEAMS = [
    TeamSpec(MANILA, "manila-l1", TeamKind.FRONTLINE, "Asia/Manila", "PH", "", OPENING_HOURS["manila"]),
    # "14" is the holidays package's code for the Federal Territory of Kuala Lumpur.
    TeamSpec(KL, "kuala-lumpur-l1", TeamKind.FRONTLINE, "Asia/Kuala_Lumpur", "MY", "14", OPENING_HOURS["kl"]),
    TeamSpec("US Leads", "us-leads", TeamKind.LEADS, NEW_YORK, "US", "", OPENING_HOURS["us-leads"]),
    TeamSpec("AU Leads", "au-leads", TeamKind.LEADS, "Australia/Sydney", "AU", "NSW", OPENING_HOURS["au-leads"]),
    TeamSpec("Compliance", "compliance", TeamKind.COMPLIANCE, NEW_YORK, "US", "", OPENING_HOURS["office"]),
    TeamSpec("CDD / KYC", "cdd-kyc", TeamKind.CDD, NEW_YORK, "US", "", OPENING_HOURS["long"]),
    TeamSpec("Fraud & Scam", "fraud-scam", TeamKind.FRAUD, "America/Chicago", "US", "IL", OPENING_HOURS["fraud"]),
    TeamSpec("Operations", "operations", TeamKind.OPS, NEW_YORK, "US", "", OPENING_HOURS["long"]),
    TeamSpec("Legal", "legal", TeamKind.LEGAL, NEW_YORK, "US", "", OPENING_HOURS["office"]),
    TeamSpec("Product", "product", TeamKind.PRODUCT, "America/Los_Angeles", "US", "CA", OPENING_HOURS["office"]),
    TeamSpec("FIU", "fiu", TeamKind.FIU, NEW_YORK, "US", "", OPENING_HOURS["office"]),
]

# Local shift windows. Manila and Kuala Lumpur are UTC+8, so the night shift (21:00-06:00)
# is US business hours and the day shift catches Australia's.
SHIFT_WINDOWS = {
    "day": ("08:00", "17:00"),
    "mid": ("14:00", "23:00"),
    "night": ("21:00", "06:00"),
    "office": ("09:00", "17:30"),
}
FRONTLINE_UTC_OFFSET_HOURS = 8


@dataclass
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    time_zone: str
    teams: tuple[str, ...]
    # (weekday, "HH:MM", "HH:MM") in the person's own time zone.
    shifts: list[tuple[int, str, str]] = field(default_factory=list)
    is_staff: bool = False
    is_superuser: bool = False
    languages: str = "en"

    @property
    def display_name(self) -> str:
        # What str(user) shows, so assignment events read like ones the app writes.
        return f"{self.first_name} {self.last_name}".strip() or self.username


BOTH_FRONTLINE = (MANILA, KL)
PERSONAS = [
    ("agent.manila", "Andrea", "Reyes", Role.AGENT, "Asia/Manila", (MANILA,), "night", "en,tl"),
    ("agent.kl", "Nurul", "Aziz", Role.AGENT, "Asia/Kuala_Lumpur", (KL,), "day", "en,ms"),
    ("lead.us", "Jordan", "Miller", Role.LEAD, NEW_YORK, ("US Leads", *BOTH_FRONTLINE), "office", "en"),
    ("lead.au", "Chloe", "Nguyen", Role.LEAD, "Australia/Sydney", ("AU Leads", *BOTH_FRONTLINE), "office", "en,vi"),
    ("specialist.fraud", "Marcus", "Bell", Role.SPECIALIST, "America/Chicago", ("Fraud & Scam",), "office", "en"),
    ("specialist.cdd", "Priya", "Raman", Role.SPECIALIST, NEW_YORK, ("CDD / KYC",), "office", "en"),
    ("compliance.rev", "Diane", "Foster", Role.COMPLIANCE, NEW_YORK, ("Compliance",), "office", "en"),
    ("fiu.officer", "Samuel", "Ortiz", Role.FIU, NEW_YORK, ("FIU",), "office", "en,es"),
    ("auditor", "Helen", "Park", Role.AUDITOR, NEW_YORK, (), None, "en"),
    ("admin", "Riley", "Chen", Role.ADMIN, "UTC", (), None, "en"),
]
PERSONA_USERNAMES = tuple(p[0] for p in PERSONAS)

PH_FIRST = (
    "Mark Joy Kristine Jerome Angelica Carlo Patricia Rommel Christian Mae Jericho Camille Paolo Bea Rhea "
    "Miguel Louise Arvin Trisha Noel Katrina Ramon Leah Jasmine Ronald Aileen Dennis Grace Lorna Jomar"
).split()
PH_LAST = (
    "Santos Cruz Bautista Ocampo Garcia Mendoza Torres Castillo Villanueva Ramos Aquino Navarro Flores "
    "Gonzales Soriano Pascual Manalo Salazar Domingo Aguilar Lim Tan Dizon Mercado Valdez"
).split()
MY_FIRST = (
    "Ahmad Siti Muhammad Farah Hafiz Aisyah Wei_Ling Jun_Hao Mei_Ling Kah_Yee Arjun Kavitha Ravi Syafiq "
    "Amirah Hui_Min Daniel Shalini Irfan Nadia Kelvin Haziq Yasmin Vinod"
).split()
MY_LAST = (
    "Abdullah Rahman Ismail Hassan Tan Lim Lee Wong Ng Chong Krishnan Subramaniam Othman Yusof Hamid Teoh Goh Nair"
).split()
US_FIRST = (
    "James Mary Robert Patricia Michael Jennifer David Linda William Elizabeth Richard Barbara Joseph Susan "
    "Thomas Jessica Christopher Sarah Daniel Karen Matthew Lisa Anthony Nancy Andrew Sandra Joshua Ashley "
    "Kevin Emily Brian Michelle Jose Maria Carlos Ana Luis Sofia Wei Mei Minh Linh Jamal Aaliyah DeShawn "
    "Imani Tyler Madison Ethan Olivia Noah Ava Liam Mia Hiroshi Yuki Raj Anjali Omar Fatima Dmitri Olga"
).split()
US_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Kim Chen Wang Shah Cohen Murphy "
    "O'Brien Kowalski Novak Jensen Larsen Okafor Mensah Tanaka Sato Park Choi Khan Ali Haddad Rossi Silva"
).split()
AU_FIRST = (
    "Jack Charlotte Oliver Amelia William Olivia Thomas Isla Lachlan Mia Noah Ava Cooper Chloe Henry Grace "
    "Lucas Zoe Ethan Ruby Harrison Matilda Liam Sienna Mason Ella Riley Harper Xavier Evie Jayden Sophie "
    "Duc Thi Mei Jun Arjun Priya Ahmed Layla Dimitri Eleni Marco Giulia"
).split()
AU_LAST = (
    "Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen Thomas Walker "
    "Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall Wood Jackson Clarke Patel "
    "Khan Lewis James Phillips Mitchell Tran Le Pham Zhang Wang Li Papadopoulos Rossi Murray O'Connor "
    "Campbell Stewart McDonald Fraser Kennedy Walsh Byrne Doyle Hughes"
).split()


def _username(first: str, last: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower().replace(" ", ""))
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _five_days(start_day: int, window: str) -> list[tuple[int, str, str]]:
    starts_at, ends_at = SHIFT_WINDOWS[window]
    return [((start_day + i) % 7, starts_at, ends_at) for i in range(5)]


def staff_roster() -> list[StaffSpec]:
    """The organisation's people: the ten personas plus generated colleagues (fixed, seed-free)."""
    # A fixed seed: the same colleagues whichever seed loads the cases (not used for secrets).
    rng = random.Random("escalation-desk-staff-v1")  # noqa: S311
    taken = set(PERSONA_USERNAMES)
    staff = [
        StaffSpec(
            username=username,
            first_name=first,
            last_name=last,
            role=role,
            time_zone=tz,
            teams=teams,
            shifts=_five_days(0, window) if window else [],
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
            languages=languages,
        )
        for username, first, last, role, tz, teams, window, languages in PERSONAS
    ]

    def add(n, first_names, last_names, role, tz, teams, *, frontline=False, languages="en"):
        for _ in range(n):
            first = rng.choice(first_names).replace("_", " ")
            last = rng.choice(last_names)
            if frontline:
                # Most of the floor covers US hours; weekly days off rotate.
                window = rng.choices(["night", "day", "mid"], weights=[45, 30, 25])[0]
                start_day = rng.choices([0, 6, 1, 2], weights=[60, 15, 15, 10])[0]
            else:
                window, start_day = "office", 0
            staff.append(
                StaffSpec(
                    username=_username(first, last, taken),
                    first_name=first,
                    last_name=last,
                    role=role,
                    time_zone=tz,
                    teams=teams,
                    shifts=_five_days(start_day, window),
                    languages=languages,
                )
            )

    # 60 frontline agents with the two personas.
    add(31, PH_FIRST, PH_LAST, Role.AGENT, "Asia/Manila", (MANILA,), frontline=True, languages="en,tl")
    add(27, MY_FIRST, MY_LAST, Role.AGENT, "Asia/Kuala_Lumpur", (KL,), frontline=True, languages="en,ms")
    add(1, US_FIRST, US_LAST, Role.LEAD, "America/Los_Angeles", ("US Leads", *BOTH_FRONTLINE))
    add(1, AU_FIRST, AU_LAST, Role.LEAD, "Australia/Melbourne", ("AU Leads", *BOTH_FRONTLINE))
    add(3, US_FIRST, US_LAST, Role.SPECIALIST, "America/Chicago", ("Fraud & Scam",))
    add(3, US_FIRST, US_LAST, Role.SPECIALIST, NEW_YORK, ("CDD / KYC",))
    add(3, US_FIRST, US_LAST, Role.SPECIALIST, NEW_YORK, ("Operations",))
    add(2, US_FIRST, US_LAST, Role.SPECIALIST, NEW_YORK, ("Legal",))
    add(2, US_FIRST, US_LAST, Role.SPECIALIST, "America/Los_Angeles", ("Product",))
    add(2, US_FIRST, US_LAST, Role.COMPLIANCE, NEW_YORK, ("Compliance",))
    add(1, US_FIRST, US_LAST, Role.FIU, NEW_YORK, ("FIU",))
    return staff


# --- Customers ------------------------------------------------------------------------------

# Rough 2023 populations in millions: customers are spread like people are.
US_POPULATION = dict(
    zip(
        US_STATES,
        [5.1, 0.73, 7.4, 3.1, 39.0, 5.9, 3.6, 1.03, 0.68, 22.6, 11.0, 1.44, 1.96, 12.5, 6.9, 3.2, 2.9, 4.5, 4.6,
         1.4, 6.2, 7.0, 10.0, 5.7, 2.9, 6.2, 1.13, 2.0, 3.2, 1.4, 9.3, 2.1, 19.6, 10.8, 0.78, 11.8, 4.1, 4.2,
         13.0, 1.1, 5.4, 0.92, 7.1, 30.5, 3.4, 0.65, 8.7, 7.8, 1.77, 5.9, 0.58],
        strict=True,
    )
)  # fmt: skip
AU_POPULATION = dict(zip(AU_STATES, [8.3, 6.8, 5.5, 2.9, 1.9, 0.57, 0.47, 0.25], strict=True))
US_SHARE = 0.7
CASES_PER_CUSTOMER = 2.5

US_AREA_CODES = {
    "CA": "213 310 415 510 619 714 818 916",
    "TX": "210 214 512 713 817",
    "FL": "305 407 561 813 904",
    "NY": "212 315 516 718 917",
    "IL": "217 312 630 773",
    "PA": "215 412 610 717",
    "WA": "206 253 425 509",
}
US_OTHER_AREA_CODES = "201 202 303 404 480 502 503 601 602 615 702 704 801 804 816 901 919 952".split()
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "inbox.example"]
COMPANY_WORDS = "Harbor Summit Granite Bluegum Meridian Northgate Ironbark Lakeshore Redwood Coral Atlas".split()
COMPANY_KINDS = "Capital Holdings Partners Trading Ventures Treasury".split()
US_TIERS = ([Tier.STANDARD, Tier.PLUS, Tier.VIP, Tier.INSTITUTIONAL], [84, 11, 4, 1])
LANGUAGES = {"US": (["en", "es", "zh", "vi"], [89, 8, 2, 1]), "AU": (["en", "zh", "vi", "ar"], [91, 5, 3, 1])}
# Age bands (years) and their share of account holders; 65+ is what the older-adult marker means.
AGE_BANDS = [
    ((18, 25), 14),
    ((25, 35), 32),
    ((35, 45), 24),
    ((45, 55), 13),
    ((55, 65), 9),
    ((65, 75), 6),
    ((75, 90), 2),
]
OLDER_ADULT_AGE = 65
EXCHANGE_OPENED = int(datetime(2015, 1, 1, tzinfo=UTC).timestamp())

CUSTOMER_COLUMNS = [
    "id", "account_number", "full_name", "email", "phone", "date_of_birth", "government_id_last4",
    "jurisdiction", "tier", "language", "is_older_adult", "account_opened_at", "created_at",
]  # fmt: skip
CASE_COLUMNS = [
    "id", "reference", "customer_id", "subject", "channel", "category_id", "priority", "status", "team_id",
    "assignee_id", "language", "received_at", "created_at", "updated_at", "first_response_at", "resolved_at",
    "closed_at", "reopen_count", "version", "sla_due_at",
]  # fmt: skip
EVENT_COLUMNS = ["id", "case_id", "kind", "actor_id", "body", "data", "created_at"]
SLA_TIMER_COLUMNS = [
    "id", "case_id", "metric", "policy_version_id", "calendar_version_id", "target_minutes", "started_at",
    "due_at", "warn_at", "paused_at", "paused_minutes", "met_at", "stopped_at", "warned_at", "breached_at",
]  # fmt: skip
SLA_PAUSE_COLUMNS = ["id", "timer_id", "started_at", "ended_at", "reason", "business_minutes", "actor_id"]

# --- What customers write about -------------------------------------------------------------

ASSETS = ["BTC", "ETH", "USDC", "USDT", "SOL", "XRP", "ADA", "DOGE", "LTC", "AVAX", "LINK", "DOT"]
NETWORKS = ["Ethereum", "Solana", "Polygon", "Arbitrum", "Base", "Tron", "BNB Smart Chain"]
US_BANKS = ["Chase", "Bank of America", "Wells Fargo", "Citi", "Capital One", "US Bank", "PNC", "Navy Federal"]
AU_BANKS = ["CommBank", "Westpac", "NAB", "ANZ", "ING", "Macquarie", "Bendigo Bank"]

# Category code -> (subjects, first messages). Placeholders are filled per case.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "account-access": (
        [
            "Locked out after changing phone, 2FA codes not working",
            "Can't log in: 'too many attempts' error",
            "Password reset email never arrives",
            "Stuck in a new-device verification loop",
            "Account locked after logging in from a new location",
            "Lost my authenticator app, need a 2FA reset",
        ],
        [
            "Hi, I got a new phone and my authenticator app didn't transfer. I can't get past the 2FA screen.\n"
            "Please help me get back into my account, I have {amount} {asset} in there.",
            "I've tried to reset my password three times and the email never comes. I checked spam. "
            "It's the address I'm writing from.",
            "Every time I log in it asks me to verify the device. I click the link and it sends me back to the start.",
        ],
    ),
    "deposits": (
        [
            "{fiat_amount} ACH deposit from {bank} not showing",
            "Sent {amount} {asset} but my balance hasn't updated",
            "Wire deposit missing after {days} days",
            "My bank returned my deposit",
            "{asset} deposit on {network} not credited",
        ],
        [
            "I transferred {fiat_amount} from {bank} {days} days ago. The bank says it's gone through "
            "but I can't see it in my account.",
            "I sent {amount} {asset} to my deposit address on {network}. The explorer shows it confirmed "
            "but my balance is still zero.",
            "My deposit was returned by {bank} and they charged me a fee. Why did this happen?",
        ],
    ),
    "withdrawals": (
        [
            "Withdrawal of {amount} {asset} stuck in pending",
            "Withdrawal to {bank} failed, where is my money?",
            "Why is my withdrawal on hold?",
            "{fiat_amount} withdrawal not received after {days} days",
            "Sent {asset} on the wrong network",
        ],
        [
            "My withdrawal of {amount} {asset} has said pending for {days} days. I need these funds. What is going on?",
            "I withdrew {fiat_amount} to {bank} and it says completed but the money isn't in my account.",
            "I chose {network} by mistake when withdrawing {amount} {asset}. Can you recover it?",
        ],
    ),
    "kyc": (
        [
            "ID verification keeps failing",
            "Verification rejected, document 'unreadable'",
            "Need to raise my withdrawal limit",
            "Asked for proof of address again",
            "Selfie check won't complete",
        ],
        [
            "I've uploaded my driver's licence four times and it keeps saying the document is unreadable. "
            "The photos are clear.",
            "I want to raise my limit to move {fiat_amount}. What documents do you need?",
            "The selfie step freezes at 90% every time, on two different phones.",
        ],
    ),
    "scam-fraud": (
        [
            "I think I've been scammed: sent {amount} {asset} to an 'investment advisor'",
            "Someone called pretending to be your support team",
            "Told to buy {asset} and send it to someone I met online",
            "Fake exchange website took my {asset}",
            "Suspicious login and my {asset} is gone",
        ],
        [
            "A man I met on a messaging app said he could double my money. I bought {amount} {asset} "
            "and sent it to the address he gave me. Now he won't answer. Please help.",
            "Someone called me saying they were from your fraud team and asked me to move my {asset} "
            "to a 'safe wallet'. I did it before I realised. It was {fiat_amount}.",
            "I got an alert about a login I don't recognise and then my {amount} {asset} was withdrawn. "
            "I did not do this.",
        ],
    ),
    "unauthorized-transfer": (
        [
            "I did not authorise this {fiat_amount} transfer",
            "Unauthorised withdrawal of {amount} {asset}",
            "Money taken from my linked {bank} account",
            "Transactions I don't recognise on my account",
        ],
        [
            "There is a {fiat_amount} debit from my {bank} account to your company that I did not make. "
            "I want it reversed.",
            "My statement shows a withdrawal of {amount} {asset} on {date} that I never made. "
            "Nobody else has my password.",
            "Three purchases I don't recognise were made from my account yesterday. Please investigate.",
        ],
    ),
    "trading": (
        [
            "Limit order for {asset} didn't fill at my price",
            "Market order filled far from the quoted price",
            "Staking rewards for {asset} missing",
            "My stop loss didn't trigger",
            "Can't sell my {asset}: button greyed out",
        ],
        [
            "I had a limit order to buy {asset} and the price went below it but the order never filled. "
            "Order {order_id}.",
            "My market sell of {amount} {asset} filled 4% below the price on screen. That can't be right.",
            "I haven't received staking rewards for {asset} for {days} days.",
        ],
    ),
    "card": (
        [
            "Card declined at checkout",
            "Card charge of {fiat_amount} I didn't make",
            "Card ending {last4} frozen",
            "Cashback rewards not credited",
            "Dispute a card purchase of {fiat_amount}",
        ],
        [
            "My card ending {last4} was declined at the supermarket even though I have funds.",
            "There's a {fiat_amount} charge on my card ending {last4} from a merchant I've never heard of.",
            "I returned an item and the merchant refuses to refund {fiat_amount}. I want to dispute it.",
        ],
    ),
    "p2p": (
        [
            "P2P buyer hasn't released my {asset}",
            "P2P trade dispute: seller says they weren't paid",
            "P2P order cancelled but my funds are still locked",
        ],
        [
            "I paid the seller {fiat_amount} by bank transfer but they haven't released the {asset}. Order {order_id}.",
            "My P2P order was cancelled an hour ago and {amount} {asset} is still locked in escrow.",
        ],
    ),
    "fees": (
        [
            "Why was I charged {fiat_amount} in fees?",
            "Network fee on my {asset} withdrawal seems too high",
            "Refund request for a double-charged fee",
            "Fee schedule question for high-volume trading",
        ],
        [
            "I was charged {fiat_amount} in fees on a trade. Your website says the fee is lower than that.",
            "I was charged the withdrawal fee twice for one {asset} withdrawal. Please refund the second one.",
        ],
    ),
    "tax-documents": (
        [
            "Where is my {year} tax form?",
            "Cost basis missing on my tax report",
            "Need a full transaction history for my accountant",
            "Tax report shows the wrong gains for {asset}",
        ],
        [
            "My accountant needs my {year} tax documents and I can't find them in the app.",
            "The cost basis for my {asset} transfers in is blank, so the report shows the whole amount as gain.",
        ],
    ),
    "account-closure": (
        [
            "Please close my account",
            "Why was my account restricted?",
            "Account closed without notice, I need my funds",
            "Delete my data and close my account",
        ],
        [
            "I'd like to close my account. I still have {amount} {asset}; how do I get it out first?",
            "My account was restricted without any explanation and I can't withdraw {fiat_amount}.",
        ],
    ),
    "complaint": (
        [
            "Formal complaint about how my case was handled",
            "Complaint: withdrawal delayed for {days} days",
            "I am filing a complaint with the {regulator}",
            "Complaint about fees and no response",
            "{regulator} complaint referral {ref}",
        ],
        [
            "I want to make a formal complaint. I have contacted you {days} times about my withdrawal "
            "and nobody has fixed it.",
            "This is a complaint. Your fees were not disclosed and I want {fiat_amount} refunded. "
            "I will go to the {regulator} if this is not resolved.",
            "Complaint forwarded by the {regulator}, reference {ref}. The consumer reports funds of {fiat_amount} "
            "held without explanation.",
        ],
    ),
}

FIRST_REPLIES = [
    "Hi {first}, thanks for reaching out and sorry for the trouble. "
    "I'm {agent} and I'll be looking after your case. {action}",
    "Hello {first}, thank you for contacting us. {action} I'll update you as soon as I hear back.",
    "Hi {first}, I understand how frustrating this is. {action}",
]
ACTIONS = {
    "account-access": "I've started an identity check so we can reset your 2FA safely.",
    "deposits": "I've asked our payments team to trace the deposit with the transaction details you sent.",
    "withdrawals": "I'm checking the withdrawal's status with our payments team now.",
    "kyc": "I've reviewed your documents and passed them to our verification team.",
    "scam-fraud": "I've secured your account and raised this with our fraud team. Please don't send any more funds.",
    "unauthorized-transfer": "I've recorded your report as a notice of error and started an investigation.",
    "trading": "I'm pulling the order history and market data for the time of your trade.",
    "card": "I've frozen the card as a precaution and opened a review of the transaction.",
    "p2p": "I've put the order on hold and asked the other party for their evidence.",
    "fees": "I'm reviewing the fees charged on your account.",
    "tax-documents": "I'm checking your tax documents and transaction history now.",
    "account-closure": "I've started the account review needed before closure.",
    "complaint": "I've logged this as a formal complaint and a lead will review it.",
}
ASK_INFO = [
    "Could you send us a screenshot of the error and the date and time it happened?",
    "To continue, please confirm the transaction ID and the last four digits of the bank account.",
    "Please reply with a photo of your ID next to today's date so we can verify it's you.",
    "Can you confirm whether you shared your password or a one-time code with anyone?",
    "Could you send the bank statement showing the transfer?",
]
CUSTOMER_FOLLOW_UPS = [
    "Any update on this? It has been a while.",
    "Here is the screenshot you asked for.",
    "I've attached the statement. Please let me know if you need anything else.",
    "The transaction ID is {order_id}.",
    "I still haven't received anything. This is urgent for me.",
    "Thanks, I'll wait to hear from you.",
]
AGENT_UPDATES = [
    "Thanks {first}, we've received that and passed it on. I'll update you within one business day.",
    "Hi {first}, quick update: the team is still reviewing this. Thank you for your patience.",
    "Thanks for the details, {first}. That helps; we're checking it now.",
]
NOTES = [
    "Customer verified on the phone: security questions passed.",
    "Checked the ledger: transaction confirmed on chain, not yet credited.",
    "Asked Payments ops in the shared channel, waiting for a reply.",
    "Possible duplicate of an earlier case from the same customer; linked for context.",
    "Customer sounds distressed; offered a call-back.",
    "Velocity check flagged two logins from new IPs last week.",
    "Following the SOP for this category; evidence saved to the case.",
    "Shift handover: next step is to confirm the bank trace result.",
]
PENDING_INTERNAL_NOTES = [
    "Waiting on Payments ops to confirm the trace.",
    "Sent to the blockchain team to check the deposit address.",
    "Asked the card processor for the merchant details.",
]
INTERNAL_DONE_NOTES = [
    "Payments ops confirmed the trace result; back with us.",
    "Blockchain team replied: funds located.",
    "Processor sent the merchant details.",
]
RESOLUTIONS = {
    "account-access": "Your 2FA has been reset and you can sign in again. "
    "Please set up your authenticator on your new phone.",
    "deposits": "Your deposit has now been credited to your account. Sorry for the delay.",
    "withdrawals": "Your withdrawal has been released and should arrive within one business day.",
    "kyc": "Your verification is complete and your limits have been updated.",
    "scam-fraud": "We've completed our review and sent you a summary of what we found and what happens next.",
    "unauthorized-transfer": "We've completed our investigation and sent you the results in writing.",
    "trading": "We've reviewed the order; the details of the fill are in the message above.",
    "card": "The card review is complete and the outcome has been applied to your account.",
    "p2p": "The P2P dispute has been resolved and the funds have been released.",
    "fees": "We've reviewed the fees and refunded the duplicate charge.",
    "tax-documents": "Your tax documents are now available under Account > Documents.",
    "account-closure": "Your account has been closed and the remaining balance returned.",
    "complaint": "We've sent you our final response to your complaint, including your options if you're not satisfied.",
}
# Resolved by a status change alone: the reason is the status event's body.
RESOLVE_REASONS = [
    "Customer confirmed the funds arrived.",
    "Resolved on a call with the customer.",
    "No reply from the customer after two reminders.",
    "Duplicate of the customer's other case.",
]
CLOSE_NOTE = "Reopen window ended."
# What case_add_customer_message records when the customer's answer reopens a pending case.
CUSTOMER_REPLIED = "The customer replied."

# --- Volume -----------------------------------------------------------------------------------

CATEGORY_WEIGHTS = {
    "account-access": 16, "deposits": 12, "withdrawals": 16, "kyc": 12, "scam-fraud": 7,
    "unauthorized-transfer": 5, "trading": 8, "card": 6, "p2p": 3, "fees": 4, "tax-documents": 3,
    "account-closure": 3, "complaint": 4,
}  # fmt: skip
TAX_SEASON_MONTHS = (1, 2, 3, 4)
TAX_SEASON_FACTOR = 6
SPIKE_CATEGORIES = ["withdrawals", "account-access", "trading", "scam-fraud", "deposits"]
# Local hour of day (0-23) and weekday (Monday first) shape of customer contacts.
HOURLY = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.55, 0.85, 1.0, 1.05, 1.05,
          1.0, 1.0, 1.0, 0.95, 0.9, 0.9, 0.95, 1.0, 0.95, 0.8, 0.6, 0.4]  # fmt: skip
WEEKDAY = [1.0, 1.0, 0.97, 0.97, 0.95, 0.7, 0.65]
REGION_UTC_OFFSET = {"US": -6, "AU": 10}

CHANNELS_DEFAULT = ([Channel.EMAIL, Channel.CHAT, Channel.WEB, Channel.PHONE, Channel.SOCIAL], [35, 35, 15, 8, 7])
CHANNELS_COMPLAINT = ([Channel.EMAIL, Channel.WEB, Channel.REGULATOR, Channel.SOCIAL], [40, 20, 25, 15])
PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
PRIORITY_WEIGHTS = {"default": [10, 62, 22, 6], "urgent-ish": [0, 30, 45, 25], "complaint": [0, 45, 45, 10]}
# Category -> (specialist team, share of its cases routed straight there).
SPECIALIST_ROUTES = {
    "scam-fraud": ("Fraud & Scam", 0.3),
    "unauthorized-transfer": ("Fraud & Scam", 0.25),
    "kyc": ("CDD / KYC", 0.2),
    "account-closure": ("Operations", 0.2),
    "withdrawals": ("Operations", 0.05),
    "deposits": ("Operations", 0.05),
    "card": ("Operations", 0.05),
    "complaint": ("Legal", 0.1),
    "trading": ("Product", 0.04),
}
# Median first-response delay (seconds) by priority, and resolution time (days) by category.
FIRST_RESPONSE_MEDIAN = {Priority.URGENT: 900, Priority.HIGH: 4300, Priority.NORMAL: 12600, Priority.LOW: 32400}
# Chats and calls are picked up from a live queue, not an inbox: their first answer comes much sooner.
LIVE_CHANNEL_SPEEDUP = {Channel.CHAT: 12, Channel.PHONE: 8}
RESOLUTION_MEDIAN_DAYS = {
    "account-access": 0.7, "deposits": 1.2, "withdrawals": 1.2, "kyc": 2.0, "scam-fraud": 3.0,
    "unauthorized-transfer": 4.0, "trading": 1.5, "card": 2.0, "p2p": 1.5, "fees": 0.6,
    "tax-documents": 0.9, "account-closure": 2.5, "complaint": 5.0,
}  # fmt: skip
STUCK_SHARE = 0.02
# Solved by the first reply (password reset link, fee explained): no back-and-forth.
QUICK_SHARE = 0.4
REPLY_ON_RESOLVE_SHARE = 0.7
REOPEN_SHARE = 0.03
# How many extra exchanges a case has between the first reply and the resolution.
MIDDLE_MOMENTS = [0] * 55 + [1] * 28 + [2] * 11 + [3] * 4 + [4] * 2


# --- Service SLA policies ------------------------------------------------------------------


@dataclass(frozen=True)
class SlaPolicySpec:
    """One policy of the demo's default set, written as version 1 of a policy of that name.

    Targets are business minutes of ``calendar_team``'s calendar, or elapsed minutes around the
    clock when it is None. Order matters: the first active policy matching a case applies.
    """

    name: str
    conditions: dict[str, list[str]]
    calendar_team: str | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    warn_percent: int | None = 80
    warn_minutes_before: int | None = None
    breach_raise_priority: bool = False
    breach_escalate: bool = False
    change_note: str = ""

    def version_fields(self, calendar_ids: dict[str, int]) -> dict[str, Any]:
        """The SlaPolicyVersion fields this spec stands for (conditions in the stored shape)."""
        return {
            "conditions": {key: sorted(set(values)) for key, values in sorted(self.conditions.items()) if values},
            "calendar_id": calendar_ids[self.calendar_team] if self.calendar_team else None,
            "first_response_minutes": self.first_response_minutes,
            "next_response_minutes": self.next_response_minutes,
            "resolution_minutes": self.resolution_minutes,
            "warn_percent": self.warn_percent,
            "warn_minutes_before": self.warn_minutes_before,
            "breach_raise_priority": self.breach_raise_priority,
            "breach_escalate": self.breach_escalate,
        }


FRAUD_TEAM = "Fraud & Scam"
# The default promise set of a US/AU crypto exchange's support desk. Fraud victims, unauthorised
# transfers (Reg E notices of error) and formal complaints come first and run on the fraud team's
# long-hours calendar; urgent cases and high-value clients are on the clock around the clock (a
# VIP breach raises the case's priority); live channels promise quick answers in frontline hours;
# everything else is e-mail speed. None escalates on breach: the generated history cannot hold
# the escalations app's records for it (see SlaReplay), so a lead switches that on in the demo.
SLA_POLICIES = [
    SlaPolicySpec(
        "Regulatory & fraud",
        {"category": ["scam-fraud", "unauthorized-transfer", "complaint"]},
        FRAUD_TEAM,
        first_response_minutes=120,
        next_response_minutes=480,
        resolution_minutes=7200,
        warn_percent=75,
        warn_minutes_before=60,
        change_note="Demo default: scams, unauthorised transfers and complaints first.",
    ),
    SlaPolicySpec(
        "Urgent",
        {"priority": [Priority.URGENT]},
        None,
        first_response_minutes=60,
        next_response_minutes=240,
        resolution_minutes=2880,
        change_note="Demo default: urgent cases, around the clock.",
    ),
    SlaPolicySpec(
        "VIP & institutional",
        {"tier": [Tier.VIP, Tier.INSTITUTIONAL]},
        None,
        first_response_minutes=360,
        next_response_minutes=480,
        resolution_minutes=4320,
        breach_raise_priority=True,
        change_note="Demo default: high-value accounts, around the clock.",
    ),
    SlaPolicySpec(
        "Chat & phone",
        {"channel": [Channel.CHAT, Channel.PHONE]},
        MANILA,
        first_response_minutes=60,
        next_response_minutes=480,
        resolution_minutes=2880,
        change_note="Demo default: live channels in frontline hours.",
    ),
    SlaPolicySpec(
        "Default e-mail & web",
        {},
        MANILA,
        first_response_minutes=480,
        next_response_minutes=960,
        resolution_minutes=4800,
        change_note="Demo default: everything else, in frontline hours.",
    ),
]


def _cum(weights) -> list[float]:
    return list(accumulate(weights))


@dataclass(frozen=True)
class SlaPolicyRef:
    """An active policy as a timer starting now pins it: its current version, and the current
    version of that version's calendar (None: elapsed minutes) with the calendar it describes."""

    version: Any  # cases.models.SlaPolicyVersion: conditions, targets, warning settings
    calendar_version_id: int | None
    cal: WorkCalendar


@dataclass
class Org:
    """Database ids the generator refers to, filled in by the command after writing the org."""

    team_ids: dict[str, int]
    category_ids: dict[str, int]
    user_ids: dict[str, int]
    staff: list[StaffSpec]
    # Active policies in matching order (position, id), as the SLA engine reads them.
    sla_policies: list[SlaPolicyRef] = field(default_factory=list)


@dataclass
class Chunk:
    """Rows for the writer, in the column orders above; every list is in id order."""

    cases: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    timers: list[tuple] = field(default_factory=list)
    pauses: list[tuple] = field(default_factory=list)
    notifications: list[tuple] = field(default_factory=list)


@dataclass
class Plan:
    """The case skeleton decided up front: receipt times, regions and customers, oldest first."""

    times: list[int]
    hours: list[int]
    regions: list[str]
    customers: list[int]  # index into the customer list, per case
    n_us_customers: int
    n_customers: int
    bench_index: int


def hour_of_week(ts: int) -> int:
    # 1970-01-01 was a Thursday: shift by three days so that hour 0 is Monday 00:00.
    return (ts // HOUR + 72) % 168


class DemoGenerator:
    """Generates a seeded world; call ``plan()``, then ``customers()``, then ``cases()``."""

    def __init__(
        self, *, seed: int, cases: int, as_of: datetime, org: Org, reopen_window_days: int = 7, backlog: float = 0.0
    ):
        if cases < 1:
            raise ValueError("At least one case is needed (the benchmark case).")
        if not 0 <= backlog < 1:
            raise ValueError("The backlog is a share of cases, from 0 up to (not including) 1.")
        # Reproducible demo data, not secrets: a seeded PRNG is exactly what is wanted here.
        self.rng = random.Random(seed)  # noqa: S311
        self.n_cases = cases
        self.now = int(as_of.timestamp())
        self.start = (self.now - 365 * DAY) // HOUR * HOUR
        self.window = reopen_window_days * DAY
        self.org = org
        self.backlog = backlog
        self.sla = SlaReplay(org, now=self.now, leads_by_team_id=self._leads_by_team_id())
        self.categories = [code for code in CATEGORY_WEIGHTS if code in org.category_ids]
        if not self.categories:
            raise ValueError("No case categories exist; run migrate first (they come with a migration).")
        weights = [CATEGORY_WEIGHTS[c] for c in self.categories]
        tax_weights = [
            w * (TAX_SEASON_FACTOR if c == "tax-documents" else 1)
            for c, w in zip(self.categories, weights, strict=True)
        ]
        self.category_cum = _cum(weights)
        self.tax_category_cum = _cum(tax_weights)
        self._index_staff()
        self._build_hour_weights()
        self.next_event_id = 1

    # -- staff lookups -------------------------------------------------------------------------

    def _leads_by_team_id(self) -> dict[int, list[int]]:
        ids, teams = self.org.user_ids, self.org.team_ids
        leads: dict[int, list[int]] = {}
        for spec in self.org.staff:
            if spec.role == Role.LEAD:
                for team in spec.teams:
                    leads.setdefault(teams[team], []).append(ids[spec.username])
        return leads

    def _index_staff(self) -> None:
        ids = self.org.user_ids
        self.user_name = {ids[s.username]: s.display_name for s in self.org.staff}
        self.user_first = {ids[s.username]: s.first_name for s in self.org.staff}
        self.workers: dict[str, list[int]] = {}
        self.leads: dict[str, list[int]] = {}
        for spec in self.org.staff:
            for team in spec.teams:
                if spec.role in (Role.AGENT, Role.SPECIALIST):
                    self.workers.setdefault(team, []).append(ids[spec.username])
                elif spec.role == Role.LEAD:
                    self.leads.setdefault(team, []).append(ids[spec.username])
        # Who is on shift in each UTC hour of the week, per frontline team (UTC+8, no DST).
        self.on_shift: dict[str, list[list[int]]] = {team: [[] for _ in range(168)] for team in FRONTLINE}
        for spec in self.org.staff:
            if spec.role != Role.AGENT:
                continue
            for weekday, starts_at, ends_at in spec.shifts:
                begin = int(starts_at[:2])
                length = (int(ends_at[:2]) - begin) % 24 or 24
                for h in range(weekday * 24 + begin, weekday * 24 + begin + length):
                    utc_how = (h - FRONTLINE_UTC_OFFSET_HOURS) % 168
                    for team in spec.teams:
                        self.on_shift[team][utc_how].append(ids[spec.username])
        self.bench_assignee = ids["agent.manila"]
        self.bench_lead = ids["lead.us"]

    def _build_hour_weights(self) -> None:
        rng = self.rng
        n_hours = 365 * 24
        spikes = []
        for _ in range(4):
            spikes.append(
                (rng.randrange(n_hours - 72), rng.uniform(2.2, 4.0), rng.uniform(10, 30), rng.choice(SPIKE_CATEGORIES))
            )
        self.spike_category: list[str | None] = [None] * n_hours
        self.spike_share = [0.0] * n_hours
        spike_factor = [1.0] * n_hours
        for begin, peak, decay, category in spikes:
            for h in range(begin, min(n_hours, begin + 72)):
                factor = 1 + (peak - 1) * math.exp(-(h - begin) / decay)
                if factor > spike_factor[h]:
                    spike_factor[h] = factor
                    self.spike_category[h] = category if category in self.org.category_ids else None
                    self.spike_share[h] = 1 - 1 / factor
        self.hour_cum: dict[str, list[float]] = {}
        for region, offset in REGION_UTC_OFFSET.items():
            weights = []
            for h in range(n_hours):
                local = self.start + h * HOUR + offset * HOUR
                growth = 0.75 + 0.5 * h / n_hours
                weekday = (local // DAY + 3) % 7
                weights.append(HOURLY[(local // HOUR) % 24] * WEEKDAY[weekday] * growth * spike_factor[h])
            self.hour_cum[region] = _cum(weights)
        self.month_of_hour = [datetime.fromtimestamp(self.start + d * DAY, UTC).month for d in range(366)]

    # -- plan --------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        rng = self.rng
        n = self.n_cases
        n_us = sum(1 for _ in range(n) if rng.random() < US_SHARE)
        rows = []
        for region, count in (("US", n_us), ("AU", n - n_us)):
            hours = rng.choices(range(365 * 24), cum_weights=self.hour_cum[region], k=count)
            rows.extend((self.start + h * HOUR + rng.randrange(HOUR), h, region) for h in hours)
        rows.sort()
        times = [min(r[0], self.now - 60) for r in rows]
        regions = [r[2] for r in rows]
        n_us_cust = round(n_us / CASES_PER_CUSTOMER) if n_us else 0
        n_au_cust = round((n - n_us) / CASES_PER_CUSTOMER) if n - n_us else 0
        n_us_cust, n_au_cust = max(n_us_cust, 1 if n_us else 0), max(n_au_cust, 1 if n - n_us else 0)
        pools = {}
        for region, count, n_cust, base in (("US", n_us, n_us_cust, 0), ("AU", n - n_us, n_au_cust, n_us_cust)):
            # Everyone contacts us at least once; a few contact us again and again.
            picks = list(range(n_cust)) + [int(n_cust * rng.random() ** 1.3) for _ in range(count - n_cust)]
            rng.shuffle(picks)
            pools[region] = iter([base + p for p in picks])
        customers = [next(pools[region]) for region in regions]
        # The benchmark case: a long-running thread started about 75 days ago.
        target = self.now - 75 * DAY
        bench_index = min(bisect(times, target), n - 1)
        return Plan(
            times=times,
            hours=[r[1] for r in rows],
            regions=regions,
            customers=customers,
            n_us_customers=n_us_cust,
            n_customers=n_us_cust + n_au_cust,
            bench_index=bench_index,
        )

    # -- customers ---------------------------------------------------------------------------------

    def customers(self, plan: Plan) -> list[tuple]:
        rng = self.rng
        first_contact = [self.now] * plan.n_customers
        for ts, c in zip(plan.times, plan.customers, strict=True):
            if ts < first_contact[c]:
                first_contact[c] = ts
        us_codes, us_weights = zip(*US_POPULATION.items(), strict=True)
        au_codes, au_weights = zip(*AU_POPULATION.items(), strict=True)
        n_us, n_au = plan.n_us_customers, plan.n_customers - plan.n_us_customers
        jurisdictions = [f"US-{s}" for s in rng.choices(us_codes, weights=us_weights, k=n_us)]
        jurisdictions += [f"AU-{s}" for s in rng.choices(au_codes, weights=au_weights, k=n_au)]
        self.customer_jurisdiction = jurisdictions
        tiers = rng.choices(*US_TIERS, k=plan.n_customers)
        bands, band_weights = zip(*AGE_BANDS, strict=True)
        today = datetime.fromtimestamp(self.now, UTC).date()
        self.customer_info: list[tuple[str, str, str, str]] = []  # (first name, region, language, tier)
        rows = []
        stride = 97  # account numbers are unique: one per stride, a random offset inside it
        for i in range(plan.n_customers):
            region = "US" if i < n_us else "AU"
            tier = tiers[i]
            first_names, last_names = (US_FIRST, US_LAST) if region == "US" else (AU_FIRST, AU_LAST)
            language = rng.choices(*LANGUAGES[region])[0]
            if tier == Tier.INSTITUTIONAL:
                company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
                full_name = f"{company} {'LLC' if region == 'US' else 'Pty Ltd'}"
                first = company
                email = f"treasury@{company.lower().replace(' ', '')}.example"
                dob, older = None, False
            else:
                first, last = rng.choice(first_names), rng.choice(last_names)
                full_name = f"{first} {last}"
                local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
                email = f"{local}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"
                low, high = rng.choices(bands, weights=band_weights)[0]
                age_days = rng.randrange(low * 365 + 1, high * 365)
                dob = date.fromordinal(today.toordinal() - age_days)
                older = age_days >= OLDER_ADULT_AGE * 365.25 or (age_days > 60 * 365 and rng.random() < 0.05)
            if region == "US":
                state = jurisdictions[i][3:]
                area = (
                    rng.choice(US_AREA_CODES[state].split())
                    if state in US_AREA_CODES
                    else rng.choice(US_OTHER_AREA_CODES)
                )
                phone = f"+1 {area} 555 01{rng.randrange(100):02d}"
            else:
                # 0491 57x xxx: the range Australia reserves for fiction.
                phone = f"+61 491 57{rng.randrange(10)} {rng.randrange(1000):03d}"
            # A tenth of customers write within a month of opening (Reg E's new-account rule).
            if rng.random() < 0.1:
                gap = rng.randrange(DAY, 29 * DAY)
            else:
                gap = int(rng.expovariate(1 / (700 * DAY))) + 30 * DAY
            opened = max(EXCHANGE_OPENED + rng.randrange(DAY), first_contact[i] - gap)
            rows.append(
                (
                    i + 1,
                    f"EX{10_000_000 + i * stride + rng.randrange(stride):09d}",
                    full_name,
                    email,
                    phone,
                    dob,
                    f"{rng.randrange(10_000):04d}",
                    jurisdictions[i],
                    tier,
                    language,
                    older,
                    opened,
                    opened,
                )
            )
            self.customer_info.append((first, region, language, tier))
        return rows

    # -- cases ---------------------------------------------------------------------------------------

    def cases(self, plan: Plan, *, reference_start: dict[int, int], chunk: int = 20_000) -> Iterator[Chunk]:
        """Yield rows in chunks of ``chunk`` cases; ``reference_start`` is each year's last number so far."""
        counters = dict(reference_start)
        rows = Chunk()
        for i, ts in enumerate(plan.times):
            year = datetime.fromtimestamp(ts, UTC).year
            counters[year] = counters.get(year, 0) + 1
            reference = f"CS-{year}-{counters[year]:06d}"
            customer = plan.customers[i]
            case_id = i + 1
            if i == plan.bench_index:
                row, events = self._bench_case_with_sla(case_id, reference, ts, customer, rows)
                self.bench_reference = reference
            else:
                row, events = self._case(case_id, reference, ts, plan.hours[i], customer)
                row, events = self.sla.replay(
                    row, events, tier=self.customer_info[customer][3],
                    jurisdiction=self.customer_jurisdiction[customer], chunk=rows,
                )  # fmt: skip
            self.next_event_id = events[-1][0] + 1
            rows.cases.append(row)
            rows.events.extend(events)
            if len(rows.cases) >= chunk:
                yield rows
                rows = Chunk()
        if rows.cases:
            yield rows
        self.reference_end = counters

    def _text(self, customer: int, ts: int) -> dict[str, str]:
        rng = self.rng
        first, region, _language, _tier = self.customer_info[customer]
        amount = rng.choice(["0.05", "0.25", "1.2", "3", "150", "2,400", "18,000", "0.018", "45"])
        fiat = rng.choice([45, 120, 250, 499, 1_000, 1_250, 2_500, 4_800, 12_000, 35_000])
        symbol = "$" if region == "US" else "A$"
        received = datetime.fromtimestamp(ts, UTC)
        return {
            "first": first,
            "asset": rng.choice(ASSETS),
            "amount": amount,
            "fiat_amount": f"{symbol}{fiat:,}.00",
            "bank": rng.choice(US_BANKS if region == "US" else AU_BANKS),
            "network": rng.choice(NETWORKS),
            "days": str(rng.randrange(2, 15)),
            "last4": f"{rng.randrange(10_000):04d}",
            "order_id": f"{rng.randrange(16**10):010x}",
            "year": str(received.year - 1),
            "date": f"{received:%b} {received.day}",
            "regulator": "CFPB" if region == "US" else "AFCA",
            "ref": f"{received:%y%m%d}-{rng.randrange(1_000_000):06d}",
        }

    def _event(self, events, case_id, kind, actor, t, body="", data=None) -> None:
        events.append((self.next_event_id, case_id, kind, actor, body, data or {}, t))
        self.next_event_id += 1

    def _pick_team(self, category: str) -> str:
        route = SPECIALIST_ROUTES.get(category)
        if route and route[0] in self.org.team_ids and self.rng.random() < route[1] and self.workers.get(route[0]):
            return route[0]
        return MANILA if self.rng.random() < 0.55 else KL

    def _pick_worker(self, team: str, at: int) -> int:
        if team in self.on_shift:
            candidates = self.on_shift[team][hour_of_week(at)] or self.workers[team]
        else:
            candidates = self.workers[team]
        return self.rng.choice(candidates)

    def _case(self, case_id: int, reference: str, ts: int, hour: int, customer: int) -> tuple[tuple, list]:
        rng = self.rng
        now = self.now
        _first, _region, language, tier = self.customer_info[customer]
        # What it is about: spikes bring their own topic, tax forms come in spring.
        if self.spike_category[hour] and rng.random() < self.spike_share[hour]:
            category = self.spike_category[hour]
        else:
            cum = self.tax_category_cum if self.month_of_hour[hour // 24] in TAX_SEASON_MONTHS else self.category_cum
            category = self.categories[bisect(cum, rng.random() * cum[-1])]
        channel = rng.choices(*(CHANNELS_COMPLAINT if category == "complaint" else CHANNELS_DEFAULT))[0]
        profile = "urgent-ish" if category in ("scam-fraud", "unauthorized-transfer") else "default"
        profile = "complaint" if category == "complaint" else profile
        priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS[profile])[0]
        if tier in (Tier.VIP, Tier.INSTITUTIONAL) and priority != Priority.URGENT and rng.random() < 0.4:
            priority = PRIORITIES[PRIORITIES.index(priority) + 1]
        team = self._pick_team(category)
        text = self._text(customer, ts)
        subjects, bodies = TOPICS[category]
        subject = rng.choice(subjects).format(**text)
        events: list[tuple] = []
        self._event(events, case_id, EventKind.CUSTOMER_MESSAGE, None, ts, rng.choice(bodies).format(**text))

        # Intake lag between the customer's message and the case row.
        if channel == Channel.REGULATOR:
            created = ts + rng.randrange(HOUR, 20 * HOUR)
        elif channel == Channel.PHONE:
            created = ts + rng.randrange(60, 600)
        else:
            created = ts + rng.randrange(0, 90)
        created = min(created, now)
        speed = (0.5 if team not in FRONTLINE else 1.0) * LIVE_CHANNEL_SPEEDUP.get(channel, 1)
        first_reply = created + 60 + int(rng.lognormvariate(math.log(FIRST_RESPONSE_MEDIAN[priority] / speed), 1.0))
        state = Status.NEW
        assignee = None
        cursor = ts
        version = 1
        first_response_at = resolved_at = closed_at = None
        reopen_count = 0

        def at(t: int) -> int:
            nonlocal cursor
            cursor = min(max(t, cursor), now)
            return cursor

        def status(actor, to, t, body=""):
            nonlocal state, version
            self._event(events, case_id, EventKind.STATUS, actor, at(t), body, {"from": state, "to": to})
            state = to
            version += 1

        def reply(actor, body, t):
            nonlocal version
            self._event(
                events, case_id, EventKind.REPLY, actor, at(t), body.format(agent=self.user_first[actor], **text)
            )
            version += 1

        def customer_writes(t):
            nonlocal version
            self._event(
                events, case_id, EventKind.CUSTOMER_MESSAGE, None, at(t), rng.choice(CUSTOMER_FOLLOW_UPS).format(**text)
            )
            version += 1
            if state == Status.PENDING_CUSTOMER:
                # The answer puts the case back to open in the same write (case_add_customer_message).
                status(None, Status.OPEN, t, CUSTOMER_REPLIED)
                version -= 1

        def assign(actor, to, t):
            nonlocal assignee, version
            data = {
                "from": assignee,
                "from_name": self.user_name.get(assignee),
                "to": to,
                "to_name": self.user_name[to],
            }
            self._event(events, case_id, EventKind.ASSIGNMENT, actor, at(t), "", data)
            assignee = to
            version += 1

        leads = self.leads.get(team, [])
        if first_reply > now:
            # Not answered yet: still new, often unassigned, maybe chased by the customer.
            if rng.random() < 0.4:
                when = ts + int((now - ts) * rng.uniform(0.05, 0.5))
                assign(rng.choice(leads) if leads and rng.random() < 0.3 else None, self._pick_worker(team, when), when)
            if now - ts > 6 * HOUR and rng.random() < 0.4:
                customer_writes(rng.randrange(ts + 4 * HOUR, now))
        else:
            when = ts + int((first_reply - ts) * rng.uniform(0.05, 0.6))
            assign(rng.choice(leads) if leads and rng.random() < 0.25 else None, self._pick_worker(team, when), when)
            first_response_at = at(first_reply)
            quick = rng.random() < QUICK_SHARE
            # A desk behind on its work: more of its recent cases are still being worked at as_of.
            behind = bool(self.backlog) and rng.random() < 2 * self.backlog * (ts - self.start) / (now - self.start)
            quick = quick and not behind
            if quick:
                opener = f"Hi {{first}}, {RESOLUTIONS[category]}"
            else:
                opener = rng.choice(FIRST_REPLIES).replace("{action}", ACTIONS[category])
            reply(assignee, opener, first_response_at)
            status(assignee, Status.OPEN, first_response_at)
            version -= 1  # the first reply and its status change are one write

            if quick:
                duration, moments = rng.randrange(60, 2 * HOUR), 0
            else:
                if rng.random() < STUCK_SHARE:
                    duration = rng.randrange(20 * DAY, 150 * DAY)
                else:
                    duration = int(rng.lognormvariate(math.log(RESOLUTION_MEDIAN_DAYS[category] * DAY), 1.1))
                moments = MIDDLE_MOMENTS[rng.randrange(len(MIDDLE_MOMENTS))] + min(3, duration // (10 * DAY))
            planned = max(first_response_at + duration, now + DAY) if behind else first_response_at + duration
            end = min(planned, now)
            anchors = (
                sorted(rng.randrange(first_response_at, end) for _ in range(moments)) if end > first_response_at else []
            )
            for anchor in anchors:
                r = rng.random()
                if r < 0.05 and team in FRONTLINE and len(self.workers[team]) > 1:
                    other = self._pick_worker(team, anchor)
                    if other != assignee:
                        assign(rng.choice(leads) if leads else None, other, anchor)
                elif state == Status.PENDING_CUSTOMER:
                    customer_writes(anchor)
                elif state == Status.PENDING_INTERNAL:
                    self._event(events, case_id, EventKind.NOTE, assignee, at(anchor), rng.choice(INTERNAL_DONE_NOTES))
                    status(assignee, Status.OPEN, anchor + rng.randrange(30, 600))
                elif r < 0.3:
                    actor = rng.choice(leads) if leads and rng.random() < 0.15 else assignee
                    self._event(events, case_id, EventKind.NOTE, actor, at(anchor), rng.choice(NOTES))
                    version += 1
                elif r < 0.62:
                    reply(assignee, f"Hi {{first}}, {rng.choice(ASK_INFO)}", anchor)
                    status(assignee, Status.PENDING_CUSTOMER, anchor + rng.randrange(5, 120))
                elif r < 0.75:
                    self._event(
                        events, case_id, EventKind.NOTE, assignee, at(anchor), rng.choice(PENDING_INTERNAL_NOTES)
                    )
                    status(assignee, Status.PENDING_INTERNAL, anchor + rng.randrange(5, 120))
                else:
                    customer_writes(anchor)
                    reply(assignee, rng.choice(AGENT_UPDATES), anchor + rng.randrange(10 * 60, 4 * HOUR))

            resolved = max(planned, cursor + 60)
            if resolved <= now:
                if quick:
                    status(assignee, Status.RESOLVED, resolved)
                elif rng.random() < REPLY_ON_RESOLVE_SHARE:
                    reply(assignee, f"Hi {{first}}, {RESOLUTIONS[category]}", resolved)
                    status(assignee, Status.RESOLVED, resolved)
                else:
                    status(assignee, Status.RESOLVED, resolved, rng.choice(RESOLVE_REASONS))
                resolved_at = resolved
                reopened = resolved + rng.randrange(6 * HOUR, max(self.window - HOUR, 7 * HOUR))
                if rng.random() < REOPEN_SHARE and reopened <= now and reopened < resolved + self.window:
                    # Came back inside the reopen window: reopened by the owner, resolved again.
                    customer_writes(reopened)
                    status(assignee, Status.OPEN, reopened + rng.randrange(60, 2 * HOUR))
                    reopen_count, resolved_at = 1, None
                    reply(assignee, rng.choice(AGENT_UPDATES), cursor + rng.randrange(10 * 60, 3 * HOUR))
                    again = cursor + int(rng.lognormvariate(math.log(0.8 * DAY), 0.9))
                    if again <= now:
                        reply(assignee, f"Hi {{first}}, {RESOLUTIONS[category]}", again)
                        status(assignee, Status.RESOLVED, again)
                        resolved_at = again
                if resolved_at is not None:
                    # The beat sweep closes it once the reopen window has passed (every 5 minutes).
                    closing = resolved_at + self.window + rng.randrange(300)
                    if closing <= now:
                        status(None, Status.CLOSED, closing, CLOSE_NOTE)
                        closed_at = cursor

        row = (
            case_id, reference, customer + 1, subject, channel, self.org.category_ids[category], priority, state,
            self.org.team_ids[team], assignee, language, ts, created, max(cursor, created), first_response_at,
            resolved_at, closed_at, reopen_count, version,
        )  # fmt: skip
        return row, events

    def _bench_case_with_sla(self, case_id: int, reference: str, ts: int, customer: int, rows: Chunk):
        """The benchmark's case with its SLA entries: exactly BENCH_EVENTS events in all.

        How many entries the SLA replay adds (pauses, warnings, breaches) is known only after
        it ran, so the thread is generated again, shorter by the excess, until it fits; notes
        make up any shortfall. Each attempt starts from the same random state: deterministic.
        """
        rng_state = self.rng.getstate()
        ids = (self.next_event_id, self.sla.next_timer_id, self.sla.next_pause_id)
        wanted = BENCH_EVENTS
        for _ in range(20):
            self.rng.setstate(rng_state)
            self.next_event_id, self.sla.next_timer_id, self.sla.next_pause_id = ids
            row, events = self._bench_case(case_id, reference, ts, customer, wanted=wanted)
            sla_rows = Chunk()
            row, events = self.sla.replay(
                row, events, tier=self.customer_info[customer][3], jurisdiction=self.customer_jurisdiction[customer],
                chunk=sla_rows,
            )  # fmt: skip
            excess = len(events) - BENCH_EVENTS
            if excess <= 0:
                break
            wanted -= excess
        else:
            raise RuntimeError(f"The benchmark case does not come out at {BENCH_EVENTS} events with these policies.")
        last = events[-1]
        for n in range(-excess):
            events.append((last[0] + 1 + n, case_id, EventKind.NOTE, row[9], NOTES[n % len(NOTES)], {}, last[6]))
        rows.timers += sla_rows.timers
        rows.pauses += sla_rows.pauses
        rows.notifications += sla_rows.notifications
        # Each note is a write of its own: the version counts it.
        return (*row[:18], row[18] - excess, row[19]), events

    def _bench_case(
        self, case_id: int, reference: str, ts: int, customer: int, *, wanted: int = BENCH_EVENTS
    ) -> tuple[tuple, list]:
        """The benchmark's long thread: open, owned by agent.manila, ``wanted`` events long
        once the SLA replay has added a pause or resume entry to each pending-customer move."""
        rng = self.rng
        now = self.now
        _first, _region, language, _tier = self.customer_info[customer]
        text = self._text(customer, ts)
        events: list[tuple] = []
        agent, lead = self.bench_assignee, self.bench_lead
        subjects, bodies = TOPICS["withdrawals"]
        subject = BENCH_SUBJECT_PREFIX + subjects[0].format(**text)
        cursor = ts

        def add(kind, actor, t, body="", data=None):
            nonlocal cursor
            cursor = min(max(t, cursor), now)
            self._event(events, case_id, kind, actor, cursor, body, data)

        first_reply = min(ts + 40 * 60, now)
        add(EventKind.CUSTOMER_MESSAGE, None, ts, bodies[0].format(**text))
        data = {"from": None, "from_name": None, "to": agent, "to_name": self.user_name[agent]}
        add(EventKind.ASSIGNMENT, lead, ts + 10 * 60, "", data)
        opener = (
            FIRST_REPLIES[0].replace("{action}", ACTIONS["withdrawals"]).format(agent=self.user_first[agent], **text)
        )
        add(EventKind.REPLY, agent, first_reply, opener)
        add(EventKind.STATUS, agent, first_reply, "", {"from": Status.NEW, "to": Status.OPEN})
        state = Status.OPEN
        # Spread the thread evenly over the case's life, about two events per step. Each move in or
        # out of pending-customer also gets an SLA entry (pause, resume) when the SLA replay runs.
        step = max(2, (now - HOUR - first_reply) // (wanted // 2))
        t = first_reply
        sla_entries = 0
        while len(events) + sla_entries < wanted:
            t += rng.randrange(step // 2, step * 3 // 2)
            room = wanted - len(events) - sla_entries
            if room < 3 or (state == Status.OPEN and rng.random() < 0.3):
                add(EventKind.NOTE, rng.choice([agent, agent, lead]), t, rng.choice(NOTES))
            elif state == Status.OPEN and rng.random() < 0.5:
                add(EventKind.REPLY, agent, t, f"Hi {text['first']}, {rng.choice(ASK_INFO)}")
                add(EventKind.STATUS, agent, t + 30, "", {"from": state, "to": Status.PENDING_CUSTOMER})
                state = Status.PENDING_CUSTOMER
                sla_entries += 1
            elif state == Status.OPEN:
                add(EventKind.CUSTOMER_MESSAGE, None, t, rng.choice(CUSTOMER_FOLLOW_UPS).format(**text))
                add(EventKind.REPLY, agent, t + 1200, rng.choice(AGENT_UPDATES).format(**text))
            else:
                add(EventKind.CUSTOMER_MESSAGE, None, t, rng.choice(CUSTOMER_FOLLOW_UPS).format(**text))
                add(EventKind.STATUS, None, t, CUSTOMER_REPLIED, {"from": state, "to": Status.OPEN})
                state = Status.OPEN
                sla_entries += 1
        row = (
            case_id, reference, customer + 1, subject, Channel.EMAIL, self.org.category_ids["withdrawals"],
            Priority.HIGH, state, self.org.team_ids[MANILA], agent, language, ts, ts, cursor, first_reply, None, None,
            # One write per staff action and per follow-up message (the first opened the case).
            0, sum(1 for e in events if e[3] is not None or e[2] == EventKind.CUSTOMER_MESSAGE),
        )  # fmt: skip
        return row, events


# --- Service SLA replay -----------------------------------------------------------------------

_FIRST, _NEXT, _RESOLUTION = SlaMetric.FIRST_RESPONSE.value, SlaMetric.NEXT_RESPONSE.value, SlaMetric.RESOLUTION.value
_RESPONSES = (_FIRST, _NEXT)
_OPEN = frozenset(OPEN_STATUSES)
_METRIC_LABELS = {metric.value: metric.label.lower() for metric in SlaMetric}
# The bell gets the sweep's notifications of the last two days before as_of; older ones would
# long since have been dealt with, and a year of them would bury the demo's inbox. Those older
# than READ_AFTER are marked read. All were e-mailed when written, as the sweep's are.
NOTIFY_WINDOW = 2 * DAY
READ_AFTER = 8 * HOUR
NOTIFICATION_COLUMNS = ["recipient_id", "kind", "title", "body", "url", "created_at", "read_at", "emailed_at"]


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class _Timer:
    """A timer while its case's timeline is replayed; becomes one SLA_TIMER_COLUMNS row."""

    __slots__ = ("id", "metric", "ref", "target", "started", "due", "warn", "paused_at", "paused_minutes",
                 "met", "stopped", "warned", "breached", "since", "pause")  # fmt: skip

    def __init__(self, timer_id: int, metric: str, ref: SlaPolicyRef, target: int, started: int):
        self.id, self.metric, self.ref, self.target, self.started = timer_id, metric, ref, target, started
        self.paused_at = self.met = self.stopped = self.warned = self.breached = None
        self.paused_minutes = 0
        # Start of the current stretch of running unpaused: the sweep can only act inside one.
        self.since = started
        self.pause: list | None = None
        self.schedule()

    def schedule(self) -> None:
        started, ref = _at(self.started), self.ref
        self.due = int(sla_due_at(ref.cal, started, self.target, self.paused_minutes).timestamp())
        warn = sla_warn_at(ref.version, ref.cal, started, self.target, self.paused_minutes)
        self.warn = None if warn is None else int(warn.timestamp())

    def row(self, case_id: int) -> tuple:
        return (
            self.id, case_id, self.metric, self.ref.version.pk, self.ref.calendar_version_id, self.target,
            self.started, self.due, self.warn, self.paused_at, self.paused_minutes, self.met, self.stopped,
            self.warned, self.breached,
        )  # fmt: skip


class SlaReplay:
    """Service-SLA timers for generated cases, replayed from each case's own timeline.

    The rules are the case services' (``cases.sla``): first-response and resolution timers
    from receipt; a public reply meets first and next response; a customer message on an open
    case with no response timer running arms next response; pending-customer pauses every
    running timer and leaving it resumes them, due and warning times pushed out by the business
    minutes paused; resolved meets resolution and stops the rest; closed stops everything; a
    reopen starts a new resolution timer. New timers take the policy matching the case then.

    The sweep (``cases.sla_sweep``) is taken to run continuously up to ``now``: a timer running
    unpaused when its warning time comes is warned then (unless already due), and breached when
    its due time comes, with the sweep's timeline entries, the priority raise its policy asks
    for, and its notifications (the last NOTIFY_WINDOW only). Escalating on breach is an
    escalations-app action this replay does not perform; the demo policies do not ask for it.
    """

    def __init__(self, org: Org, *, now: int, leads_by_team_id: dict[int, list[int]] | None = None):
        self.policies = org.sla_policies
        self.now = now
        self.next_timer_id = 1
        self.next_pause_id = 1
        self.category_codes = {pk: code for code, pk in org.category_ids.items()}
        self.team_slugs = {org.team_ids[team.name]: team.slug for team in TEAMS if team.name in org.team_ids}
        self.leads_by_team_id = leads_by_team_id or {}
        self._matched: dict[tuple, SlaPolicyRef | None] = {}

    def policy_for(self, *, priority, channel, category_id, team_id, tier, jurisdiction) -> SlaPolicyRef | None:
        """The first active policy whose current version matches (memoised: few distinct cases)."""
        key = (priority, channel, category_id, team_id, tier, jurisdiction)
        if key not in self._matched:
            case = SimpleNamespace(
                priority=priority,
                channel=channel,
                category=SimpleNamespace(code=self.category_codes[category_id]),
                customer=SimpleNamespace(tier=tier, jurisdiction=jurisdiction),
                team=SimpleNamespace(slug=self.team_slugs.get(team_id, "")),
            )
            self._matched[key] = next(
                (ref for ref in self.policies if policy_conditions_match(ref.version.conditions, case)), None
            )
        return self._matched[key]

    def replay(
        self, case: tuple, events: list[tuple], *, tier: str, jurisdiction: str, chunk: Chunk
    ) -> tuple[tuple, list[tuple]]:
        """The case row with what the SLA engine changed (priority, version, updated_at, and
        sla_due_at appended) and its timeline with the SLA entries added, numbered on from the
        first event's id; the case's timers, pauses and notifications go into ``chunk``.

        ``case`` is a CASE_COLUMNS row without sla_due_at; ``events`` its timeline in order, the
        first being the customer's message at receipt.
        """
        self.case = list(case)
        self.tier, self.jurisdiction = tier, jurisdiction
        self.chunk = chunk
        self.timeline: list[tuple] = []
        self.running: list[_Timer] = []
        self.finished: list[_Timer] = []
        self.pauses: list[list] = []
        self.assignee = None
        case_id, received, created = case[0], case[11], case[12]
        status = Status.NEW
        for index, event in enumerate(events):
            kind, actor, body, data, t = event[2], event[3], event[4], event[5], event[6]
            self._sweep(t)
            self.timeline.append(event)
            if index == 0:
                ref = self._policy()
                if ref is None:
                    self._event(None, created, {"event": "no_policy"})
                else:
                    self._start(_FIRST, ref, received)
                    self._start(_RESOLUTION, ref, received)
            elif kind == EventKind.REPLY:
                for timer in [timer for timer in self.running if timer.metric in _RESPONSES]:
                    self._end(timer, t, met=True)
            elif kind == EventKind.CUSTOMER_MESSAGE:
                if status in _OPEN and not any(timer.metric in _RESPONSES for timer in self.running):
                    ref = self._policy()
                    if ref is not None:
                        self._start(_NEXT, ref, t)
            elif kind == EventKind.STATUS:
                before, status = data["from"], data["to"]
                self._status(before, status, t, actor, body)
            elif kind == EventKind.ASSIGNMENT:
                self.assignee = data["to"]
        self._sweep(self.now, inclusive=True)
        due = min((timer.due for timer in self.running if timer.paused_at is None), default=None)
        timers = sorted(self.finished + self.running, key=lambda timer: timer.id)
        chunk.timers.extend(timer.row(case_id) for timer in timers)
        chunk.pauses.extend(tuple(pause) for pause in self.pauses)
        first_id = events[0][0]
        timeline = [(first_id + n, *event[1:]) for n, event in enumerate(self.timeline)]
        return (*self.case, due), timeline

    def _policy(self) -> SlaPolicyRef | None:
        case = self.case
        return self.policy_for(
            priority=case[6], channel=case[4], category_id=case[5], team_id=case[8], tier=self.tier,
            jurisdiction=self.jurisdiction,
        )  # fmt: skip

    # -- the hooks, as the case services call them ----------------------------------------------

    def _start(self, metric: str, ref: SlaPolicyRef, at: int) -> None:
        target = ref.version.target_minutes(metric)
        if not target:
            return
        timer = _Timer(self.next_timer_id, metric, ref, target, at)
        self.next_timer_id += 1
        self.running.append(timer)

    def _status(self, before: str, after: str, at: int, actor, reason: str) -> None:
        resolving = any(timer.metric == _RESOLUTION for timer in self.running)
        if before == Status.PENDING_CUSTOMER and after != Status.PENDING_CUSTOMER:
            resumed = {timer.metric: self._resume(timer, at) for timer in self.running if timer.paused_at is not None}
            if resumed:
                self._event(actor, at, {"event": "resumed", "business_minutes": resumed})
        if after == Status.PENDING_CUSTOMER:
            reason = reason or DEFAULT_PAUSE_REASON
            paused = [timer for timer in self.running if timer.paused_at is None]
            for timer in paused:
                timer.paused_at = at
                timer.pause = [self.next_pause_id, timer.id, at, None, reason[:200], None, actor]
                self.next_pause_id += 1
                self.pauses.append(timer.pause)
            if paused:
                data = {"event": "paused", "metrics": [timer.metric for timer in paused], "reason": reason}
                self._event(actor, at, data, reason)
        elif after == Status.RESOLVED:
            for timer in list(self.running):
                self._end(timer, at, met=timer.metric == _RESOLUTION)
        elif after == Status.CLOSED:
            for timer in list(self.running):
                self._end(timer, at, met=False)
        elif before == Status.RESOLVED and after == Status.OPEN and not resolving:
            # A reopen: the case needs resolving again, on a fresh clock.
            ref = self._policy()
            if ref is not None:
                self._start(_RESOLUTION, ref, at)

    def _resume(self, timer: _Timer, at: int) -> int:
        pause = timer.pause
        start = pause[2] if pause else timer.paused_at
        end = max(at, start)
        minutes = business_minutes_between(timer.ref.cal, _at(start), _at(end))
        if pause is not None:
            pause[3], pause[5] = end, minutes
        timer.paused_minutes += minutes
        timer.paused_at, timer.pause, timer.since = None, None, at
        timer.schedule()
        return minutes

    def _end(self, timer: _Timer, at: int, *, met: bool) -> None:
        if timer.paused_at is not None:
            self._resume(timer, at)
        if met:
            timer.met = at
        else:
            timer.stopped = at
        self.running.remove(timer)
        self.finished.append(timer)

    # -- the sweep, run continuously ------------------------------------------------------------

    def _sweep(self, until: int, *, inclusive: bool = False) -> None:
        """Everything the sweep did before ``until`` (or at it, for the final ``now``), in order.

        Called before each timeline event, so whatever it adds falls between that event and the
        one before it, and the timeline stays in time order.
        """
        actions = []
        for timer in self.running:
            if timer.paused_at is not None:
                continue
            if timer.warned is None and timer.breached is None and timer.warn is not None:
                warn = max(timer.warn, timer.since)
                # The warning pass leaves a timer already due to the breach pass.
                if warn < timer.due and (warn < until or inclusive and warn == until):
                    actions.append((warn, 0, timer.id, timer))
            if timer.breached is None:
                breach = max(timer.due, timer.since)
                if breach < until or inclusive and breach == until:
                    actions.append((breach, 1, timer.id, timer))
        for at, breach, _, timer in sorted(actions, key=lambda action: action[:3]):
            if breach:
                self._breach(timer, at)
            else:
                self._warn(timer, at)

    def _warn(self, timer: _Timer, at: int) -> None:
        timer.warned = at
        data = {"event": "warning", "metric": timer.metric, "due_at": _at(timer.due).isoformat(), "timer_id": timer.id}
        self._event(None, at, data)
        if self.now - at < NOTIFY_WINDOW:
            left = business_minutes_between(timer.ref.cal, _at(at), _at(timer.due))
            label, reference = _METRIC_LABELS[timer.metric], self.case[1]
            self._notify(
                "sla.warning",
                at,
                f"{reference}: {label} due in {left} business min",
                f"The {label} target of {reference} is due at {_when(timer.due)}.",
            )

    def _breach(self, timer: _Timer, at: int) -> None:
        timer.breached = at
        data = {"event": "breached", "metric": timer.metric, "due_at": _at(timer.due).isoformat(), "timer_id": timer.id}
        self._event(None, at, data)
        priority = self.case[6]
        if timer.ref.version.breach_raise_priority and priority in PRIORITY_RAISE:
            raised = PRIORITY_RAISE[priority]
            label = SlaMetric(timer.metric).label.lower()
            self.timeline.append(
                (None, self.case[0], EventKind.FIELDS, None, f"Raised because the {label} SLA was breached.",
                 {"priority": {"from": priority, "to": raised}, "reason": "sla_breach"}, at)
            )  # fmt: skip
            self.case[6] = raised
            self.case[18] += 1
            self.case[13] = max(self.case[13], at)
        if self.now - at < NOTIFY_WINDOW:
            label, reference = _METRIC_LABELS[timer.metric], self.case[1]
            self._notify(
                "sla.breach",
                at,
                f"{reference}: {label} SLA breached",
                f"The {label} target of {reference} was due at {_when(timer.due)}.",
            )

    # -- output -------------------------------------------------------------------------------------

    def _event(self, actor, at: int, data: dict, body: str = "") -> None:
        # Numbered when the case's timeline is complete; placed where the engine writes it.
        self.timeline.append((None, self.case[0], EventKind.SLA, actor, body, data, at))

    def _notify(self, kind: str, at: int, title: str, body: str) -> None:
        # The case's assignee at that moment and the leads of its team, each once.
        recipients = dict.fromkeys([self.assignee, *self.leads_by_team_id.get(self.case[8], [])])
        read = at + 30 * 60 if self.now - at >= READ_AFTER else None
        url = f"/cases/{self.case[1]}/"
        for user_id in recipients:
            if user_id is not None:
                self.chunk.notifications.append((user_id, kind, title[:200], body, url, at, read, at))


def _when(ts: int) -> str:
    # As the sweep words it: the site's local time with its zone.
    return date_format(timezone.localtime(_at(ts)), "Y-m-d H:i T")
