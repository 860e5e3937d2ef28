"""Regulatory clocks, checked against deadlines counted by hand on a 2026–2027 calendar.

Holidays used below (from the ``holidays`` package, checked when these were written):
US federal — Fri 2026-06-19 Juneteenth, Sat 2026-07-04 Independence Day (federal Friday off on
07-03, Federal Reserve open), Thu 2026-11-26 Thanksgiving, Fri 2026-12-25 Christmas, Fri 2027-01-01
New Year. NSW — Mon 2026-10-05 Labour Day. VIC — Tue 2026-11-03 Melbourne Cup.
New York is UTC-5 from 2026-11-01; Sydney and Melbourne are UTC+11 from 2026-10-04.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance import clocks
from compliance.clocks import (
    BUSINESS_DAYS,
    CALENDAR_DAYS,
    RULES,
    Rule,
    RuleNotApplicable,
    Terms,
    applicable,
    deadline_terms,
    jurisdiction_calendar,
    obligation_due,
    rule_table_problems,
    rules_for,
    trigger_date,
    validate_trigger,
)

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def rule(code: str, on: date = date(2026, 11, 18)) -> Rule:
    [found] = [r for r in RULES if r.code == code and r.in_effect(on)]
    return found


def due(code: str, triggered_at: datetime, jurisdiction: str, **facts) -> datetime:
    return obligation_due(
        rule(code, triggered_at.date()), triggered_at=triggered_at, facts=facts, jurisdiction=jurisdiction
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# A notice received mid-afternoon in New York on each date.
def ny(year: int, month: int, day: int, hour: int = 15) -> datetime:
    return datetime(year, month, day, hour, tzinfo=NEW_YORK)


def syd(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SYDNEY)


# --- calendars ---------------------------------------------------------------------------------


def test_us_calendar_closes_on_federal_not_state_holidays():
    cal = jurisdiction_calendar("US-CA")
    assert cal.time_zone == "America/New_York"
    assert not clocks.is_jurisdiction_business_day("US-CA", date(2026, 11, 26))  # Thanksgiving
    # Cesar Chavez Day (Tue 2026-03-31) is a California holiday, not a federal one.
    assert clocks.is_jurisdiction_business_day("US-CA", date(2026, 3, 31))
    assert not clocks.is_jurisdiction_business_day("US-CA", date(2026, 11, 21))  # Saturday


def test_us_calendar_follows_the_federal_reserve_around_weekend_holidays():
    # Independence Day 2026 is a Saturday: the federal Friday off does not close the Fed.
    assert clocks.is_jurisdiction_business_day("US-NY", date(2026, 7, 3))
    # Independence Day 2027 is a Sunday: the Fed closes the Monday.
    assert not clocks.is_jurisdiction_business_day("US-NY", date(2027, 7, 5))


def test_au_calendars_use_the_states_zone_and_holidays():
    assert jurisdiction_calendar("AU-NSW").time_zone == "Australia/Sydney"
    assert jurisdiction_calendar("AU-VIC").time_zone == "Australia/Melbourne"
    assert jurisdiction_calendar("AU-ACT").time_zone == "Australia/Sydney"
    assert jurisdiction_calendar("AU-WA").time_zone == "Australia/Perth"
    assert not clocks.is_jurisdiction_business_day("AU-NSW", date(2026, 10, 5))  # NSW Labour Day
    assert clocks.is_jurisdiction_business_day("AU-VIC", date(2026, 10, 5))
    assert not clocks.is_jurisdiction_business_day("AU-VIC", date(2026, 11, 3))  # Melbourne Cup
    assert clocks.is_jurisdiction_business_day("AU-NSW", date(2026, 11, 3))


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("AU-NSW", "Australia/Sydney"),
        ("AU-VIC", "Australia/Melbourne"),
        ("AU-QLD", "Australia/Brisbane"),
        ("AU-WA", "Australia/Perth"),
        ("AU-SA", "Australia/Adelaide"),
        ("AU-TAS", "Australia/Hobart"),
        ("AU-ACT", "Australia/Sydney"),
        ("AU-NT", "Australia/Darwin"),
        ("US-HI", "America/New_York"),
    ],
)
def test_each_jurisdiction_counts_days_in_its_zone(code, zone):
    cal = jurisdiction_calendar(code)
    assert (cal.time_zone, cal.holiday_subdivision) == (zone, code[3:] if code.startswith("AU") else "")


def test_calendars_are_memoised_per_code():
    assert jurisdiction_calendar("US-CA") is jurisdiction_calendar("US-CA")


@pytest.mark.parametrize("code", ["AU", "AU-XX", "US-ZZ", "US-PR", "GB-LND", ""])
def test_it_refuses_unknown_jurisdictions(code):
    with pytest.raises(ValueError):
        jurisdiction_calendar(code)


# --- Reg E ---------------------------------------------------------------------------------------


def test_reg_e_investigation_runs_ten_business_days_across_thanksgiving():
    # Wed 18 Nov: day 1 Thu 19, 5 Wed 25, Thanksgiving skipped, 6 Fri 27, 10 Thu 3 Dec.
    assert due("us_reg_e_investigate", ny(2026, 11, 18), "US-CA") == utc(2026, 12, 4, 5)


def test_reg_e_notice_on_friday_counts_from_monday_across_juneteenth():
    # Fri 12 Jun: day 1 Mon 15, 4 Thu 18, Juneteenth skipped, 5 Mon 22, 10 Mon 29 (EDT, UTC-4).
    assert due("us_reg_e_investigate", ny(2026, 6, 12), "US-NY") == utc(2026, 6, 30, 4)


def test_trigger_is_read_on_the_jurisdictions_local_date():
    # 03:30 UTC Thursday is still 22:30 Wednesday in New York: the notice is Wednesday's.
    late_wednesday = utc(2026, 11, 19, 3, 30)
    assert trigger_date(late_wednesday, "US-CA") == date(2026, 11, 18)
    assert due("us_reg_e_investigate", late_wednesday, "US-CA") == utc(2026, 12, 4, 5)


def test_reg_e_new_account_gets_twenty_business_days():
    # Wed 18 Nov: day 10 Thu 3 Dec, 11 Fri 4, 15 Thu 10, 16 Fri 11, 20 Thu 17 Dec.
    expected = utc(2026, 12, 18, 5)
    assert due("us_reg_e_investigate", ny(2026, 11, 18), "US-CA", new_account=True) == expected
    # First deposit on 20 Oct: 29 days before the notice.
    assert due("us_reg_e_investigate", ny(2026, 11, 18), "US-CA", first_deposit_at="2026-10-20") == expected


def test_reg_e_account_thirty_days_old_is_not_new():
    # First deposit on 19 Oct: exactly 30 days before the notice, so the 10-day period holds.
    assert due("us_reg_e_investigate", ny(2026, 11, 18), "US-CA", first_deposit_at="2026-10-19") == utc(2026, 12, 4, 5)
    terms = deadline_terms(
        rule("us_reg_e_investigate"),
        triggered_at=ny(2026, 11, 18),
        facts={"first_deposit_at": date(2026, 10, 20)},
        jurisdiction="US-CA",
    )
    assert terms == Terms(BUSINESS_DAYS, 20, "new account")


def test_reg_e_extended_runs_45_calendar_days_across_the_month_and_year_end():
    # Credit on Fri 27 Nov (business day 6). 18 Nov + 45: 12 to 30 Nov, 43 to 31 Dec, 45 Sat 2 Jan.
    credited = {"provisional_credit_at": "2026-11-27"}
    assert due("us_reg_e_extended", ny(2026, 11, 18), "US-CA", **credited) == utc(2027, 1, 3, 5)


@pytest.mark.parametrize(
    "variant", [{"foreign_initiated": True}, {"pos": True}, {"new_account": True}, {"first_deposit_at": "2026-11-01"}]
)
def test_reg_e_extended_runs_90_calendar_days_for_foreign_pos_and_new_accounts(variant):
    # 18 Nov + 90: 12 to 30 Nov, 43 to 31 Dec, 74 to 31 Jan, 90 Tue 16 Feb 2027.
    facts = {"provisional_credit_at": "2026-11-27", **variant}
    assert due("us_reg_e_extended", ny(2026, 11, 18), "US-CA", **facts) == utc(2027, 2, 17, 5)


def test_reg_e_extended_needs_provisional_credit_within_ten_business_days():
    extended = rule("us_reg_e_extended")
    notice = ny(2026, 11, 18)

    def applies(**facts) -> bool:
        return applicable(extended, facts, triggered_at=notice, jurisdiction="US-CA")

    assert not applies()
    assert applies(provisional_credit_at="2026-12-03")  # business day 10
    assert not applies(provisional_credit_at="2026-12-04")  # business day 11
    assert not applies(provisional_credit_at="2026-11-17")  # before the notice: not credit for it
    # A new account has 20 business days to credit (day 20 is Thu 17 Dec).
    assert applies(provisional_credit_at="2026-12-17", new_account=True)
    assert not applies(provisional_credit_at="2026-12-18", new_account=True)
    with pytest.raises(RuleNotApplicable):
        obligation_due(extended, triggered_at=notice, facts={}, jurisdiction="US-CA")


def test_reg_e_provisional_credit_posted_as_an_aware_datetime_is_read_in_new_york():
    # 02:00 UTC on Fri 4 Dec is 21:00 on Thu 3 Dec in New York: still business day 10.
    facts = {"provisional_credit_at": "2026-12-04T02:00:00+00:00"}
    assert applicable(rule("us_reg_e_extended"), facts, triggered_at=ny(2026, 11, 18), jurisdiction="US-CA")


def test_reg_e_provisional_credit_notice_is_due_two_business_days_after_posting():
    # Wed 1 Jul: day 1 Thu 2, day 2 Fri 3 (Fed open on the federal Friday off). EDT, UTC-4.
    assert due("us_reg_e_provisional_credit_notice", ny(2026, 7, 1), "US-TX") == utc(2026, 7, 4, 4)
    # Wed 25 Nov: Thanksgiving skipped, day 1 Fri 27, day 2 Mon 30.
    assert due("us_reg_e_provisional_credit_notice", ny(2026, 11, 25), "US-TX") == utc(2026, 12, 1, 5)


def test_reg_e_results_notice_is_due_three_business_days_after_completion():
    # Wed 23 Dec: day 1 Thu 24, Christmas skipped, day 2 Mon 28, day 3 Tue 29.
    assert due("us_reg_e_results", ny(2026, 12, 23), "US-FL") == utc(2026, 12, 30, 5)


def test_notice_of_error_starts_both_reg_e_clocks():
    codes = [r.code for r in rules_for("notice_of_error", "US-CA", date(2026, 11, 18))]
    assert codes == ["us_reg_e_investigate", "us_reg_e_extended"]
    assert rules_for("notice_of_error", "AU-NSW", date(2026, 11, 18)) == []


# --- CFPB, OFAC, FinCEN ------------------------------------------------------------------------


def test_cfpb_complaint_response_is_due_15_and_final_60_calendar_days_after_sending():
    # Mon 16 Nov + 15 = Tue 1 Dec; + 60: 14 to 30 Nov, 45 to 31 Dec, 60 Fri 15 Jan 2027.
    sent = ny(2026, 11, 16)
    assert due("us_cfpb_response", sent, "US-NY") == utc(2026, 12, 2, 5)
    assert due("us_cfpb_final_response", sent, "US-NY") == utc(2027, 1, 16, 5)


def test_calendar_day_rules_run_through_weekends_and_holidays():
    # Thu 12 Nov + 15 = Fri 27 Nov: Thanksgiving and the weekend count as calendar days.
    assert due("us_cfpb_response", ny(2026, 11, 12), "US-NY") == utc(2026, 11, 28, 5)


def test_ofac_blocking_report_runs_ten_business_days_over_christmas_and_new_year():
    # Fri 18 Dec: 1 Mon 21 … 4 Thu 24, Christmas skipped, 5 Mon 28 … 8 Thu 31, New Year skipped,
    # 9 Mon 4 Jan, 10 Tue 5 Jan 2027.
    assert due("us_ofac_blocking_report", ny(2026, 12, 18), "US-NY") == utc(2027, 1, 6, 5)


def test_fincen_sar_is_restricted_and_runs_30_calendar_days():
    sar = rule("us_fincen_sar_msb")
    assert sar.restricted
    # Mon 2 Nov + 30 = Wed 2 Dec.
    assert due("us_fincen_sar_msb", ny(2026, 11, 2), "US-WA") == utc(2026, 12, 3, 5)


# --- Australia -----------------------------------------------------------------------------------


def test_rg271_acknowledgement_skips_nsw_labour_day_but_not_in_victoria():
    # Fri 2 Oct: NSW's next business day is Tue 6 (Mon 5 is Labour Day); Victoria's is Mon 5.
    complaint = syd(2026, 10, 2)
    assert due("au_rg271_acknowledge", complaint, "AU-NSW") == utc(2026, 10, 6, 13)
    assert due("au_rg271_acknowledge", complaint, "AU-VIC") == utc(2026, 10, 5, 13)


def test_rg271_acknowledgement_skips_melbourne_cup_only_in_victoria():
    # Mon 2 Nov: Victoria's next business day is Wed 4 (Tue 3 is Melbourne Cup); NSW's is Tue 3.
    complaint = syd(2026, 11, 2)
    assert due("au_rg271_acknowledge", complaint, "AU-VIC") == utc(2026, 11, 4, 13)
    assert due("au_rg271_acknowledge", complaint, "AU-NSW") == utc(2026, 11, 3, 13)


def test_au_trigger_is_read_on_the_states_date():
    # 15:00 UTC Thu 1 Oct is 01:00 Fri 2 Oct in Sydney (AEST, UTC+10).
    complaint = utc(2026, 10, 1, 15)
    assert trigger_date(complaint, "AU-NSW") == date(2026, 10, 2)
    assert due("au_rg271_acknowledge", complaint, "AU-NSW") == utc(2026, 10, 6, 13)


def test_complaint_received_starts_acknowledgement_and_idr_response():
    codes = [r.code for r in rules_for("complaint_received", "AU-VIC", date(2026, 11, 2))]
    assert codes == ["au_rg271_acknowledge", "au_idr_response"]


def test_idr_response_is_due_30_calendar_days_after_receipt():
    # Mon 2 Nov + 30: 28 to 30 Nov, 30 Wed 2 Dec.
    assert due("au_idr_response", syd(2026, 11, 2), "AU-NSW") == utc(2026, 12, 2, 13)


def test_afca_referral_response_is_due_21_calendar_days_across_the_year_end():
    # Wed 16 Dec + 21: 15 to 31 Dec, 21 Wed 6 Jan 2027.
    assert due("au_afca_referral_response", syd(2026, 12, 16), "AU-NSW") == utc(2027, 1, 6, 13)


def test_austrac_smr_is_due_24_hours_after_suspicion_of_terrorism_financing():
    formed = utc(2026, 11, 2, 1, 15)
    assert due("au_austrac_smr", formed, "AU-VIC", terrorism_financing=True) == utc(2026, 11, 3, 1, 15)


def test_austrac_smr_otherwise_runs_three_of_the_states_business_days():
    # Mon 2 Nov: Victoria skips Cup day (Wed 4, Thu 5, Fri 6); NSW does not (Tue 3, Wed 4, Thu 5).
    formed = syd(2026, 11, 2)
    assert due("au_austrac_smr", formed, "AU-VIC") == utc(2026, 11, 6, 13)
    assert due("au_austrac_smr", formed, "AU-NSW") == utc(2026, 11, 5, 13)


# --- effective dates -----------------------------------------------------------------------------


def test_idr_response_uses_the_version_in_force_on_the_complaint_date():
    [before] = rules_for("complaint_received", "AU-NSW", date(2021, 10, 4))
    assert (before.code, before.amount) == ("au_idr_response", 45)
    assert "RG 165" in before.citation
    after = [r for r in rules_for("complaint_received", "AU-NSW", date(2021, 10, 5)) if r.code == "au_idr_response"]
    assert [(r.amount, "RG 271" in r.citation) for r in after] == [(30, True)]
    # Mon 4 Oct 2021 + 45: 27 to 31 Oct, 45 Thu 18 Nov 2021 (AEDT, UTC+11).
    complaint = datetime(2021, 10, 4, 10, tzinfo=SYDNEY)
    assert obligation_due(before, triggered_at=complaint, facts={}, jurisdiction="AU-NSW") == utc(2021, 11, 18, 13)


def test_rules_not_yet_in_force_are_not_used():
    # The 24-hour acknowledgement began with RG 271 on 5 October 2021.
    assert "au_rg271_acknowledge" not in [r.code for r in rules_for("complaint_received", "AU-NSW", date(2021, 10, 4))]
    assert "au_rg271_acknowledge" in [r.code for r in rules_for("complaint_received", "AU-NSW", date(2021, 10, 5))]


def test_a_version_that_ended_before_the_trigger_is_not_used():
    old = Rule(
        code="x_ack",
        name="Acknowledge",
        citation="Old",
        jurisdiction="US",
        trigger="complaint_received",
        unit=BUSINESS_DAYS,
        amount=5,
        effective_from=date(2020, 1, 1),
        effective_to=date(2026, 6, 30),
        satisfied_by="acknowledged",
    )
    new = Rule(
        code="x_ack",
        name="Acknowledge",
        citation="New",
        jurisdiction="US",
        trigger="complaint_received",
        unit=BUSINESS_DAYS,
        amount=2,
        effective_from=date(2026, 7, 1),
        effective_to=None,
        satisfied_by="acknowledged",
    )
    table = (old, new)
    assert rules_for("complaint_received", "US-CA", date(2026, 6, 30), rules=table) == [old]
    assert rules_for("complaint_received", "US-CA", date(2026, 7, 1), rules=table) == [new]
    assert rule_table_problems(table) == []
    with pytest.raises(RuleNotApplicable, match="not in force on 2026-07-01"):
        obligation_due(old, triggered_at=ny(2026, 7, 1), facts={}, jurisdiction="US-CA")


def test_the_rule_table_has_no_overlapping_versions():
    assert rule_table_problems() == []
    overlapping = (
        rule("au_idr_response", date(2021, 10, 4)),
        Rule(**{**rule("au_idr_response").__dict__, "effective_from": date(2021, 10, 1)}),
    )
    assert rule_table_problems(overlapping) == [
        "au_idr_response: the version from 2018-11-01 overlaps the one from 2021-10-01."
    ]


def test_rule_table_carries_each_rule_of_the_design():
    current = {r.code: r for r in RULES if r.in_effect(date(2026, 11, 18))}
    assert {code: (r.unit, r.amount) for code, r in current.items()} == {
        "us_reg_e_investigate": (BUSINESS_DAYS, 10),
        "us_reg_e_extended": (CALENDAR_DAYS, 45),
        "us_reg_e_provisional_credit_notice": (BUSINESS_DAYS, 2),
        "us_reg_e_results": (BUSINESS_DAYS, 3),
        "us_cfpb_response": (CALENDAR_DAYS, 15),
        "us_cfpb_final_response": (CALENDAR_DAYS, 60),
        "us_fincen_sar_msb": (CALENDAR_DAYS, 30),
        "us_ofac_blocking_report": (BUSINESS_DAYS, 10),
        "us_ofac_reject_report": (BUSINESS_DAYS, 10),
        "au_rg271_acknowledge": (BUSINESS_DAYS, 1),
        "au_idr_response": (CALENDAR_DAYS, 30),
        "au_afca_referral_response": (CALENDAR_DAYS, 21),
        "au_austrac_smr": (BUSINESS_DAYS, 3),
    }
    assert current["us_reg_e_investigate"].citation.startswith("12 CFR 1005.11(c)(1)")
    assert {code for code, r in current.items() if r.restricted} == {"us_fincen_sar_msb", "au_austrac_smr"}


def test_a_rule_with_an_unknown_unit_or_condition_is_refused():
    base = rule("us_reg_e_results").__dict__
    with pytest.raises(ValueError, match="unit 'weeks'"):
        Rule(**{**base, "unit": "weeks"})
    with pytest.raises(ValueError, match="condition 'moon_phase'"):
        Rule(**{**base, "requires": "moon_phase"})


def test_a_rule_of_another_country_is_refused():
    with pytest.raises(RuleNotApplicable, match="US rule"):
        obligation_due(rule("us_reg_e_results"), triggered_at=syd(2026, 11, 2), facts={}, jurisdiction="AU-NSW")


def test_a_naive_trigger_instant_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        obligation_due(
            rule("us_reg_e_results"), triggered_at=datetime(2026, 11, 18, 15), facts={}, jurisdiction="US-CA"
        )


# --- validation ----------------------------------------------------------------------------------

NOW = utc(2026, 11, 20, 12)


def test_a_complete_reg_e_notice_is_valid():
    facts = {"notice_date": "2026-11-18", "transfer_date": "2026-11-10", "new_account": False}
    assert validate_trigger("notice_of_error", facts, now=NOW, jurisdiction="US-CA") == {}


def test_a_reg_e_notice_needs_its_dates():
    assert validate_trigger("notice_of_error", {}, now=NOW) == {
        "notice_date": ["The notice of error date is required."],
        "transfer_date": ["The transfer date is required."],
    }


def test_a_reg_e_notice_cannot_be_dated_in_the_future():
    facts = {"notice_date": "2026-11-21", "transfer_date": "2026-11-10"}
    assert validate_trigger("notice_of_error", facts, now=NOW, jurisdiction="US-CA") == {
        "notice_date": ["The notice of error cannot be dated in the future (2026-11-21 is after 2026-11-20)."]
    }


def test_without_a_jurisdiction_a_date_already_current_somewhere_is_accepted():
    # 12:00 UTC on 20 Nov is already 21 Nov east of UTC+12.
    facts = {"notice_date": "2026-11-21", "transfer_date": "2026-11-10"}
    assert validate_trigger("notice_of_error", facts, now=NOW) == {}


def test_a_reg_e_notice_cannot_predate_the_transfer():
    facts = {"notice_date": "2026-11-09", "transfer_date": "2026-11-10"}
    assert validate_trigger("notice_of_error", facts, now=NOW) == {
        "notice_date": ["The notice of error cannot predate the transfer."]
    }


def test_reg_e_facts_must_be_dates_and_yes_or_no():
    facts = {
        "notice_date": "18/11/2026",
        "transfer_date": "2026-11-10T09:00:00",
        "foreign_initiated": "yes",
    }
    assert validate_trigger("notice_of_error", facts, now=NOW) == {
        "notice_date": ["The notice of error must be a date (YYYY-MM-DD) or a date and time with a time zone."],
        "transfer_date": ["The transfer must be a date (YYYY-MM-DD) or a date and time with a time zone."],
        "foreign_initiated": ["Foreign initiated must be yes or no."],
    }


def test_reg_e_credit_and_deposit_dates_must_fall_in_order():
    facts = {
        "notice_date": "2026-11-18",
        "transfer_date": "2026-11-10",
        "first_deposit_at": "2026-11-12",
        "provisional_credit_at": "2026-11-17",
    }
    assert validate_trigger("notice_of_error", facts, now=NOW) == {
        "first_deposit_at": ["The account's first deposit cannot come after the disputed transfer."],
        "provisional_credit_at": ["The provisional credit cannot predate the notice of error (2026-11-18)."],
    }


def test_other_triggers_need_the_date_that_starts_them():
    assert validate_trigger("complaint_received", {}, now=NOW) == {
        "received_at": ["The complaint's receipt date is required."]
    }
    assert validate_trigger("afca_referral", {"referred_at": NOW - timedelta(days=1)}, now=NOW) == {}
    assert validate_trigger(
        "suspicion_formed", {"suspicion_formed_at": "2026-11-19", "terrorism_financing": 1}, now=NOW
    ) == {"terrorism_financing": ["Terrorism financing must be yes or no."]}


def test_an_unknown_jurisdiction_is_a_validation_message():
    problems = validate_trigger("complaint_received", {"received_at": "2026-11-19"}, now=NOW, jurisdiction="AU")
    assert problems == {"jurisdiction": ["'AU' needs an Australian state or territory: AU-NSW, AU-VIC, AU-QLD, "
                                         "AU-WA, AU-SA, AU-TAS, AU-ACT, AU-NT."]}  # fmt: skip


def test_a_malformed_fact_stops_the_deadline_rather_than_being_ignored():
    with pytest.raises(ValueError):
        due("us_reg_e_investigate", ny(2026, 11, 18), "US-CA", first_deposit_at="last month")


def test_an_unknown_trigger_is_named():
    problems = validate_trigger("tuesday", {}, now=NOW)
    assert list(problems) == ["trigger"]
    assert problems["trigger"][0].startswith("'tuesday' is not a regulatory trigger; use one of afca_referral,")


def test_every_rule_trigger_has_its_facts_listed():
    assert {r.trigger for r in RULES} <= set(clocks.TRIGGER_FACTS)


def test_every_rule_says_in_words_what_meets_it():
    from compliance.choices import SATISFIED_BY
    from compliance.clocks import RULES

    assert {rule.satisfied_by for rule in RULES} <= set(SATISFIED_BY)
