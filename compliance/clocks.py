"""Regulatory clocks: which deadlines the law sets when something happens, and when each falls due.

Pure rules and maths, no database: services start an ``Obligation`` per rule that
:func:`rules_for` returns, with the instant :func:`obligation_due` computes, and pin the rule's
code and citation on it. A regulatory clock never pauses and never resets on reassignment, so
nothing here knows about case status, teams or service calendars.

Counting convention
-------------------
The trigger is read as a date in the jurisdiction's zone, and that date never counts: day 1 is the
first business (or calendar) day after it. A Reg E notice received on Friday has day 1 on Monday;
a CFPB complaint sent on 16 November has day 1 on 17 November and day 15 on 1 December. A
deadline "within N days" is due at the end of day N, local time, returned in UTC. Hour rules
(AUSTRAC's 24 hours) run from the trigger instant itself.

Facts
-----
Rules pick variants and decide applicability from a ``facts`` mapping, in the shape flags store
them: dates and datetimes as ``date``/``datetime`` values or ISO strings, flags as booleans. The
keys each trigger uses are listed in :data:`TRIGGER_FACTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays as holidays_package

from people.business_time import (
    WorkCalendar,
    add_business_days,
    add_calendar_days,
    end_of_day,
    is_business_day,
)

BUSINESS_DAYS = "business_days"
CALENDAR_DAYS = "calendar_days"
HOURS = "hours"
UNITS = (BUSINESS_DAYS, CALENDAR_DAYS, HOURS)

# --- jurisdiction calendars -------------------------------------------------------------------

_MONDAY_TO_FRIDAY = {str(weekday): [["00:00", "24:00"]] for weekday in range(5)}

# Reg E counts business days of the institution (12 CFR 1005.2(d)), and the desk works US cases
# from one federal calendar: a state holiday does not close a federally supervised institution, so
# counting it would push a deadline past the day the regulator expects. New York's midnight ends a
# US day: it comes before midnight in every other state, so no deadline's last day ends late by the
# zone. The trigger's date is read in New York too, so an evening notice on the West Coast counts
# from the next date; business-day rules rarely move by it, calendar-day rules can by one day.
_US_TIME_ZONE = "America/New_York"
# Territories keep Atlantic or Pacific island time and their own holidays; the desk serves the 50
# states and DC only (cases.choices.US_STATES).
_US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "UM", "VI"})

_AU_TIME_ZONES = {
    "NSW": "Australia/Sydney",
    "VIC": "Australia/Melbourne",
    "QLD": "Australia/Brisbane",
    "WA": "Australia/Perth",
    "SA": "Australia/Adelaide",
    "TAS": "Australia/Hobart",
    "ACT": "Australia/Sydney",
    "NT": "Australia/Darwin",
}

# The years the federal holiday list covers; a date outside them is refused rather than silently
# treated as holiday-free.
US_HOLIDAY_YEARS = range(1990, 2101)


def jurisdiction_country(jurisdiction: str) -> str:
    """``"US"`` or ``"AU"`` for a jurisdiction code such as ``"US-CA"``, ``"AU-NSW"`` or ``"US"``."""
    country = jurisdiction.split("-", 1)[0]
    if country not in ("US", "AU"):
        raise ValueError(f"{jurisdiction!r} is not a US or AU jurisdiction; use a code such as US-CA or AU-NSW.")
    return country


@lru_cache(maxsize=128)
def jurisdiction_calendar(jurisdiction: str) -> WorkCalendar:
    """The business-day calendar regulatory clocks use in ``jurisdiction`` (memoised per code).

    US (``"US"`` or any ``"US-<state>"``): Monday to Friday in New York time, closed on the days the
    Federal Reserve Banks close for federal holidays (see :func:`us_federal_reserve_holidays`),
    never on state holidays. AU (``"AU-<state>"``): Monday to Friday in the state's capital's zone,
    closed on national holidays and that state's public holidays; ``"AU"`` alone has no single
    zone or holiday list and is refused. Raises ``ValueError`` for an unknown code.
    """
    country, _, state = jurisdiction.partition("-")
    if country == "US":
        if state and (state in _US_TERRITORIES or state not in holidays_package.country_holidays("US").subdivisions):
            raise ValueError(f"{state!r} is not a US state or DC (jurisdiction {jurisdiction!r}).")
        return WorkCalendar.from_config(
            time_zone=_US_TIME_ZONE,
            weekly_hours=_MONDAY_TO_FRIDAY,
            extra_holidays=us_federal_reserve_holidays(),
        )
    if country == "AU":
        if state not in _AU_TIME_ZONES:
            raise ValueError(
                f"{jurisdiction!r} needs an Australian state or territory: AU-" + ", AU-".join(_AU_TIME_ZONES) + "."
            )
        return WorkCalendar.from_config(
            time_zone=_AU_TIME_ZONES[state],
            weekly_hours=_MONDAY_TO_FRIDAY,
            holiday_country="AU",
            holiday_subdivision=state,
        )
    raise ValueError(f"{jurisdiction!r} is not a US or AU jurisdiction; use a code such as US-CA or AU-NSW.")


def is_jurisdiction_business_day(jurisdiction: str, day: date) -> bool:
    """Whether regulatory clocks count ``day`` as a business day in ``jurisdiction``."""
    return is_business_day(jurisdiction_calendar(jurisdiction), day)


@lru_cache(maxsize=1)
def us_federal_reserve_holidays() -> frozenset[date]:
    """Weekdays the Federal Reserve Banks close for a federal holiday, 1990–2100.

    The federal government takes the Friday off when a holiday falls on Saturday; the Federal
    Reserve does not, and banks settle that Friday. Counting it as closed would make a Reg E
    deadline one business day later than the regulator's, so only the holiday itself (on a weekday)
    and the Monday after a Sunday holiday close the calendar.
    """
    actual = holidays_package.country_holidays("US", years=US_HOLIDAY_YEARS, observed=False)
    closed = {day for day in actual if day.weekday() < 5}
    closed |= {day + timedelta(days=1) for day in actual if day.weekday() == 6}
    return frozenset(closed)


# --- facts ----------------------------------------------------------------------------------------


def _fact_date(value: Any, cal: WorkCalendar | None = None) -> date | None:
    """A fact as a local date: an ISO string or ``date`` as is, an aware datetime in ``cal``'s zone."""
    moment = _parse_moment(value)
    if isinstance(moment, datetime):
        return moment.astimezone(cal.tz).date() if cal is not None else moment.date()
    return moment


def _parse_moment(value: Any) -> date | datetime | None:
    """``None`` for a missing fact; raises ``ValueError`` for one that is not a date or aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no time zone")
        return value
    if isinstance(value, date):
        return value
    raise ValueError(f"{value!r} is not a date")


def _flag(facts: Mapping[str, Any], key: str) -> bool:
    return facts.get(key) is True


@dataclass(frozen=True)
class _Context:
    """What a condition may look at besides the facts: the trigger's local date and the calendar."""

    trigger_date: date
    cal: WorkCalendar


NEW_ACCOUNT_DAYS = 30


def _is_new_account(facts: Mapping[str, Any], ctx: _Context) -> bool:
    # 1005.11(c)(3)(i): the account's first deposit was made less than 30 days before the notice.
    # The flag may record the conclusion (new_account) or the deposit date to derive it from.
    if _flag(facts, "new_account"):
        return True
    first_deposit = _fact_date(facts.get("first_deposit_at"), ctx.cal)
    return first_deposit is not None and (ctx.trigger_date - first_deposit).days < NEW_ACCOUNT_DAYS


def _provisional_credit_in_time(facts: Mapping[str, Any], ctx: _Context) -> bool:
    # 1005.11(c)(2)(i): the longer investigation is open only to an institution that credited the
    # account within the initial period, which is 20 business days for a new account ((c)(3)(i)).
    credited = _fact_date(facts.get("provisional_credit_at"), ctx.cal)
    if credited is None or credited < ctx.trigger_date:
        return False
    window = 20 if _is_new_account(facts, ctx) else 10
    return credited <= add_business_days(ctx.cal, ctx.trigger_date, window)


Condition = Callable[[Mapping[str, Any], _Context], bool]

CONDITIONS: dict[str, Condition] = {
    "new_account": _is_new_account,
    "foreign_initiated": lambda facts, ctx: _flag(facts, "foreign_initiated"),
    "pos": lambda facts, ctx: _flag(facts, "pos"),
    "terrorism_financing": lambda facts, ctx: _flag(facts, "terrorism_financing"),
    "provisional_credit_in_time": _provisional_credit_in_time,
}


# --- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A different deadline when a condition holds (the first matching variant of a rule wins)."""

    when: str  # a key of CONDITIONS
    unit: str
    amount: int
    label: str


@dataclass(frozen=True)
class Rule:
    """One version of a regulatory deadline: ``amount`` ``unit`` after ``trigger``, met by ``satisfied_by``.

    Versions of one obligation share ``code`` and never overlap: the version in effect on the
    trigger's local date governs the whole obligation, even if the law changes before it is due.
    ``restricted`` rules belong to suspicion reporting (SAR/SMR) and are shown only in the
    restricted inbox. ``requires`` names a condition without which the rule does not apply at all.
    """

    code: str
    name: str
    citation: str
    jurisdiction: str  # "US" or "AU"
    trigger: str
    unit: str
    amount: int
    effective_from: date
    effective_to: date | None
    satisfied_by: str
    restricted: bool = False
    variants: tuple[Variant, ...] = ()
    requires: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.jurisdiction not in ("US", "AU"):
            problems.append(f"jurisdiction {self.jurisdiction!r} is not US or AU")
        for unit, amount in [(self.unit, self.amount), *((v.unit, v.amount) for v in self.variants)]:
            if unit not in UNITS:
                problems.append(f"unit {unit!r} is not one of {', '.join(UNITS)}")
            if amount < 1:
                problems.append(f"amount {amount} is not positive")
        for name in [self.requires, *(v.when for v in self.variants)]:
            if name and name not in CONDITIONS:
                problems.append(f"condition {name!r} is unknown")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            problems.append("effective_to is before effective_from")
        if problems:
            raise ValueError(f"rule {self.code}: " + "; ".join(problems))

    def in_effect(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class Terms:
    """The deadline a rule sets for one trigger: ``amount`` ``unit``; ``variant`` labels a non-default."""

    unit: str
    amount: int
    variant: str = ""


_REG_E_START = date(2011, 12, 30)  # the CFPB's Regulation E (12 CFR part 1005) took effect
_RG_271_START = date(2021, 10, 5)  # RG 271 applies to complaints received from this date
_AFCA_START = date(2018, 11, 1)  # AFCA opened; the table carries nothing older

RULES: tuple[Rule, ...] = (
    Rule(
        code="us_reg_e_investigate",
        name="Reg E: investigate and determine whether an error occurred",
        citation="12 CFR 1005.11(c)(1), (c)(3)(i)",
        jurisdiction="US",
        trigger="notice_of_error",
        unit=BUSINESS_DAYS,
        amount=10,
        variants=(Variant("new_account", BUSINESS_DAYS, 20, "new account"),),
        effective_from=_REG_E_START,
        effective_to=None,
        satisfied_by="investigation_completed",
    ),
    Rule(
        code="us_reg_e_extended",
        name="Reg E: extended investigation after provisional credit",
        citation="12 CFR 1005.11(c)(2), (c)(3)(ii)",
        jurisdiction="US",
        trigger="notice_of_error",
        unit=CALENDAR_DAYS,
        amount=45,
        variants=(
            Variant("foreign_initiated", CALENDAR_DAYS, 90, "foreign-initiated transfer"),
            Variant("pos", CALENDAR_DAYS, 90, "point-of-sale debit card transaction"),
            Variant("new_account", CALENDAR_DAYS, 90, "new account"),
        ),
        requires="provisional_credit_in_time",
        effective_from=_REG_E_START,
        effective_to=None,
        satisfied_by="investigation_completed",
    ),
    Rule(
        code="us_reg_e_provisional_credit_notice",
        name="Reg E: tell the customer about the provisional credit",
        citation="12 CFR 1005.11(c)(2)(ii)",
        jurisdiction="US",
        trigger="provisional_credit_posted",
        unit=BUSINESS_DAYS,
        amount=2,
        effective_from=_REG_E_START,
        effective_to=None,
        satisfied_by="provisional_credit_notice_sent",
    ),
    Rule(
        code="us_reg_e_results",
        name="Reg E: report the investigation's results (a denial explains why and offers the documents)",
        citation="12 CFR 1005.11(c)(2)(iv), (d)(1)",
        jurisdiction="US",
        trigger="investigation_completed",
        unit=BUSINESS_DAYS,
        amount=3,
        effective_from=_REG_E_START,
        effective_to=None,
        satisfied_by="results_notice_sent",
    ),
    Rule(
        code="us_cfpb_response",
        name="CFPB complaint: respond through the company portal",
        citation="12 U.S.C. 5534; CFPB Company Portal Manual",
        jurisdiction="US",
        trigger="complaint_sent_to_company",
        unit=CALENDAR_DAYS,
        amount=15,
        effective_from=date(2011, 7, 21),
        effective_to=None,
        satisfied_by="company_response_sent",
    ),
    Rule(
        # Runs from the same trigger: a closing response by day 15 meets both.
        code="us_cfpb_final_response",
        name="CFPB complaint: final response after an 'in progress' response",
        citation="12 U.S.C. 5534; CFPB Company Portal Manual",
        jurisdiction="US",
        trigger="complaint_sent_to_company",
        unit=CALENDAR_DAYS,
        amount=60,
        effective_from=date(2011, 7, 21),
        effective_to=None,
        satisfied_by="final_response_sent",
    ),
    Rule(
        code="us_fincen_sar_msb",
        name="FinCEN SAR (money services business), no extension",
        citation="31 CFR 1022.320(b)(3)",
        jurisdiction="US",
        trigger="initial_detection",
        unit=CALENDAR_DAYS,
        amount=30,
        effective_from=date(2011, 3, 1),
        effective_to=None,
        satisfied_by="sar_filed",
        restricted=True,
    ),
    Rule(
        code="us_ofac_blocking_report",
        name="OFAC: report blocked property",
        citation="31 CFR 501.603",
        jurisdiction="US",
        trigger="property_blocked",
        unit=BUSINESS_DAYS,
        amount=10,
        effective_from=date(2019, 6, 21),
        effective_to=None,
        satisfied_by="blocking_report_filed",
    ),
    Rule(
        code="us_ofac_reject_report",
        name="OFAC: report a rejected transaction",
        citation="31 CFR 501.604",
        jurisdiction="US",
        trigger="transfer_rejected",
        unit=BUSINESS_DAYS,
        amount=10,
        effective_from=date(2019, 6, 21),
        effective_to=None,
        satisfied_by="reject_report_filed",
    ),
    Rule(
        # "Within 24 hours (or one business day)": the end of the next business day is always at
        # least 24 hours after the complaint, so the business day is the deadline that binds.
        code="au_rg271_acknowledge",
        name="RG 271: acknowledge the complaint",
        citation="ASIC RG 271 (IDR), acknowledgement within 24 hours or one business day",
        jurisdiction="AU",
        trigger="complaint_received",
        unit=BUSINESS_DAYS,
        amount=1,
        effective_from=_RG_271_START,
        effective_to=None,
        satisfied_by="complaint_acknowledged",
    ),
    Rule(
        code="au_idr_response",
        name="IDR: final response to the complaint",
        citation="ASIC RG 165 (IDR), 45-day maximum response time",
        jurisdiction="AU",
        trigger="complaint_received",
        unit=CALENDAR_DAYS,
        amount=45,
        effective_from=_AFCA_START,
        effective_to=_RG_271_START - timedelta(days=1),
        satisfied_by="idr_response_sent",
    ),
    Rule(
        # A delay notice is due before day 30 when the firm cannot respond in time; it is a task
        # on the way to this deadline, not a deadline of its own.
        code="au_idr_response",
        name="IDR: final response to the complaint",
        citation="ASIC RG 271 (IDR), 30-calendar-day maximum response time",
        jurisdiction="AU",
        trigger="complaint_received",
        unit=CALENDAR_DAYS,
        amount=30,
        effective_from=_RG_271_START,
        effective_to=None,
        satisfied_by="idr_response_sent",
    ),
    Rule(
        code="au_afca_referral_response",
        name="AFCA: resolve a complaint AFCA referred back to the firm",
        citation="AFCA Rules and Operational Guidelines (complaint referred back to the firm)",
        jurisdiction="AU",
        trigger="afca_referral",
        unit=CALENDAR_DAYS,
        amount=21,
        effective_from=_AFCA_START,
        effective_to=None,
        satisfied_by="afca_response_sent",
    ),
    Rule(
        code="au_austrac_smr",
        name="AUSTRAC suspicious matter report",
        citation="Anti-Money Laundering and Counter-Terrorism Financing Act 2006 (Cth) s 41(2)",
        jurisdiction="AU",
        trigger="suspicion_formed",
        unit=BUSINESS_DAYS,
        amount=3,
        variants=(Variant("terrorism_financing", HOURS, 24, "terrorism financing"),),
        effective_from=date(2008, 12, 12),
        effective_to=None,
        satisfied_by="smr_submitted",
        restricted=True,
    ),
)


def rule_table_problems(rules: Iterable[Rule] = RULES) -> list[str]:
    """Versions of one rule code that overlap in time or disagree on jurisdiction or trigger."""
    problems: list[str] = []
    by_code: dict[str, list[Rule]] = {}
    for rule in rules:
        by_code.setdefault(rule.code, []).append(rule)
    for code, versions in by_code.items():
        versions.sort(key=lambda rule: rule.effective_from)
        if len({(rule.jurisdiction, rule.trigger) for rule in versions}) > 1:
            problems.append(f"{code}: versions disagree on jurisdiction or trigger.")
        for earlier, later in zip(versions, versions[1:], strict=False):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                problems.append(f"{code}: the version from {earlier.effective_from} overlaps the one from "
                                f"{later.effective_from}.")  # fmt: skip
    return problems


def rules_for(trigger: str, jurisdiction: str, on: date, *, rules: Iterable[Rule] = RULES) -> list[Rule]:
    """The rules ``trigger`` starts in ``jurisdiction`` (``"US-CA"`` or ``"US"``), in effect on ``on``.

    ``on`` is the trigger's local date in the jurisdiction (see :func:`trigger_date`). Includes rules
    that may turn out not to apply to these facts; check :func:`applicable` before starting one.
    """
    country = jurisdiction_country(jurisdiction)
    return [rule for rule in rules if rule.trigger == trigger and rule.jurisdiction == country and rule.in_effect(on)]


def trigger_date(triggered_at: datetime, jurisdiction: str) -> date:
    """The trigger instant's local date in the jurisdiction's zone: the date the counting starts from."""
    return _local_date(triggered_at, jurisdiction_calendar(jurisdiction))


def applicable(rule: Rule, facts: Mapping[str, Any], *, triggered_at: datetime, jurisdiction: str) -> bool:
    """Whether ``rule`` binds for these facts (Reg E extended: only after timely provisional credit).

    The trigger and jurisdiction are needed because conditions are measured from the trigger date
    in the jurisdiction's business days.
    """
    if not rule.requires:
        return True
    return CONDITIONS[rule.requires](facts, _context(triggered_at, jurisdiction))


def deadline_terms(rule: Rule, *, triggered_at: datetime, facts: Mapping[str, Any], jurisdiction: str) -> Terms:
    """The amount and unit ``rule`` sets for these facts: its first matching variant, else its default."""
    ctx = _context(triggered_at, jurisdiction)
    for variant in rule.variants:
        if CONDITIONS[variant.when](facts, ctx):
            return Terms(variant.unit, variant.amount, variant.label)
    return Terms(rule.unit, rule.amount)


class RuleNotApplicable(ValueError):
    """The rule does not bind for these facts, or was not in force on the trigger date."""


def obligation_due(rule: Rule, *, triggered_at: datetime, facts: Mapping[str, Any], jurisdiction: str) -> datetime:
    """When the obligation ``rule`` sets for this trigger falls due, in UTC.

    Day rules are due at the end of day N in the jurisdiction's zone, counting from the day after
    the trigger's local date; hour rules N hours after the trigger instant. Raises
    :class:`RuleNotApplicable` when the rule is for another country, was not in force on the
    trigger date, or does not apply to the facts; ``ValueError`` for a naive ``triggered_at`` or a
    date fact that does not parse (:func:`validate_trigger` reports those first).
    """
    cal = jurisdiction_calendar(jurisdiction)
    start = _local_date(triggered_at, cal)
    if rule.jurisdiction != jurisdiction_country(jurisdiction):
        raise RuleNotApplicable(f"{rule.code} is a {rule.jurisdiction} rule, not one for {jurisdiction}.")
    if not rule.in_effect(start):
        raise RuleNotApplicable(f"This version of {rule.code} ({rule.citation}) was not in force on {start}.")
    if not applicable(rule, facts, triggered_at=triggered_at, jurisdiction=jurisdiction):
        raise RuleNotApplicable(f"{rule.code} does not apply to these facts ({rule.requires} does not hold).")
    terms = deadline_terms(rule, triggered_at=triggered_at, facts=facts, jurisdiction=jurisdiction)
    if terms.unit == HOURS:
        return triggered_at.astimezone(UTC) + timedelta(hours=terms.amount)
    if terms.unit == BUSINESS_DAYS:
        return end_of_day(cal, add_business_days(cal, start, terms.amount))
    return end_of_day(cal, add_calendar_days(cal, start, terms.amount))


def _context(triggered_at: datetime, jurisdiction: str) -> _Context:
    cal = jurisdiction_calendar(jurisdiction)
    return _Context(trigger_date=_local_date(triggered_at, cal), cal=cal)


def _local_date(at: datetime, cal: WorkCalendar) -> date:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"triggered_at must be a timezone-aware datetime, got {at!r}")
    day = at.astimezone(cal.tz).date()
    if cal.time_zone == _US_TIME_ZONE and day.year not in US_HOLIDAY_YEARS:
        raise ValueError(f"{day} is outside the years the US federal holiday list covers.")
    return day


# --- validation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerFacts:
    """The facts a trigger needs: ``at`` is the fact that dates the trigger itself."""

    at: str
    required: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


TRIGGER_FACTS: dict[str, TriggerFacts] = {
    "notice_of_error": TriggerFacts(
        at="notice_date",
        required=("notice_date", "transfer_date"),
        dates=("first_deposit_at", "provisional_credit_at"),
        flags=("new_account", "foreign_initiated", "pos"),
    ),
    "provisional_credit_posted": TriggerFacts(at="provisional_credit_at", dates=("notice_date",)),
    "investigation_completed": TriggerFacts(at="investigation_completed_at", dates=("notice_date",)),
    "complaint_sent_to_company": TriggerFacts(at="sent_to_company_at"),
    "initial_detection": TriggerFacts(at="detected_at"),
    "property_blocked": TriggerFacts(at="blocked_at"),
    "transfer_rejected": TriggerFacts(at="rejected_at"),
    "complaint_received": TriggerFacts(at="received_at"),
    "afca_referral": TriggerFacts(at="referred_at"),
    "suspicion_formed": TriggerFacts(at="suspicion_formed_at", flags=("terrorism_financing",)),
}

_LABELS = {
    "notice_date": "The notice of error",
    "transfer_date": "The transfer",
    "first_deposit_at": "The account's first deposit",
    "provisional_credit_at": "The provisional credit",
    "investigation_completed_at": "The investigation's completion",
    "sent_to_company_at": "The date the complaint was sent to the company",
    "detected_at": "The initial detection",
    "blocked_at": "The blocking",
    "rejected_at": "The rejection",
    "received_at": "The complaint's receipt",
    "referred_at": "The AFCA referral",
    "suspicion_formed_at": "The date the suspicion was formed",
}

# Latest offset in use anywhere (Kiribati): without a jurisdiction, a date is in the future only
# once it is tomorrow everywhere, so a valid date is never refused.
_LATEST_OFFSET = timedelta(hours=14)


def validate_trigger(
    trigger: str, facts: Mapping[str, Any], *, now: datetime, jurisdiction: str = ""
) -> dict[str, list[str]]:
    """Problems with a trigger's facts, keyed by fact (``"trigger"`` for the trigger itself); empty when valid.

    Checks that the trigger is known, its required facts are present, dates parse (datetimes need a
    zone), flags are booleans, nothing is dated after ``now``, and the Reg E order holds: first
    deposit ≤ transfer ≤ notice ≤ provisional credit or completed investigation. With a
    ``jurisdiction``, "after now" is judged on its local date; without, on the latest date anywhere.
    """
    spec = TRIGGER_FACTS.get(trigger)
    if spec is None:
        known = ", ".join(sorted(TRIGGER_FACTS))
        return {"trigger": [f"{trigger!r} is not a regulatory trigger; use one of {known}."]}
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    try:
        cal = jurisdiction_calendar(jurisdiction) if jurisdiction else None
    except ValueError as error:
        return {"jurisdiction": [str(error)]}
    today = now.astimezone(cal.tz).date() if cal is not None else (now + _LATEST_OFFSET).date()
    dated: dict[str, date] = {}
    for key in dict.fromkeys((spec.at, *spec.required, *spec.dates)):
        label = _LABELS.get(key, key)
        raw = facts.get(key)
        if raw is None or raw == "":
            if key == spec.at or key in spec.required:
                add(key, f"{label} date is required.")
            continue
        try:
            day = _fact_date(raw, cal)
        except (TypeError, ValueError):
            add(key, f"{label} must be a date (YYYY-MM-DD) or a date and time with a time zone.")
            continue
        assert day is not None
        if day > today:
            add(key, f"{label} cannot be dated in the future ({day.isoformat()} is after {today.isoformat()}).")
        dated[key] = day
    for key in spec.flags:
        if key in facts and not isinstance(facts[key], bool):
            add(key, f"{key.replace('_', ' ').capitalize()} must be yes or no.")

    notice, transfer = dated.get("notice_date"), dated.get("transfer_date")
    if notice and transfer and notice < transfer:
        add("notice_date", "The notice of error cannot predate the transfer.")
    first_deposit = dated.get("first_deposit_at")
    if first_deposit and transfer and first_deposit > transfer:
        add("first_deposit_at", "The account's first deposit cannot come after the disputed transfer.")
    for key in ("provisional_credit_at", "investigation_completed_at"):
        if notice and key in dated and dated[key] < notice:
            add(key, f"{_LABELS[key]} cannot predate the notice of error ({notice.isoformat()}).")
    return problems
