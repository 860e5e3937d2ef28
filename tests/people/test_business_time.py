"""Business-time maths: hand-worked examples and the laws every calendar must obey.

No database: these are pure functions of a calendar and instants. Expected instants are written as
local wall-clock times and compared in UTC, because PEP 495 makes an ambiguous local time (the
repeated hour when clocks fall back) unequal to any datetime in another zone.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from people.business_time import (
    WorkCalendar,
    add_business_days,
    add_business_minutes,
    add_calendar_days,
    business_minutes_between,
    end_of_day,
    is_business_day,
    is_open,
    next_open,
    validate_holiday_region,
    validate_weekly_hours,
)

NY = ZoneInfo("America/New_York")
SYD = ZoneInfo("Australia/Sydney")
MEL = ZoneInfo("Australia/Melbourne")
MNL = ZoneInfo("Asia/Manila")
WEEKDAYS = range(5)


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    """A local wall-clock time as a UTC instant; ``fold=1`` picks the second of a repeated time."""
    return datetime(year, month, day, hour, minute, tzinfo=tz, fold=fold).astimezone(UTC)


def hours(*intervals: tuple[str, str], days: range | tuple[int, ...] = WEEKDAYS) -> dict[str, list[list[str]]]:
    return {str(day): [list(interval) for interval in intervals] for day in days}


MANILA = WorkCalendar.from_config(time_zone="Asia/Manila", weekly_hours=hours(("09:00", "18:00")), holiday_country="PH")
NEW_YORK = WorkCalendar.from_config(
    time_zone="America/New_York", weekly_hours=hours(("09:00", "17:00")), holiday_country="US"
)
SYDNEY = WorkCalendar.from_config(
    time_zone="Australia/Sydney",
    weekly_hours=hours(("08:00", "12:00"), ("13:00", "17:00")),
    holiday_country="AU",
    holiday_subdivision="NSW",
)
MELBOURNE = WorkCalendar.from_config(
    time_zone="Australia/Melbourne",
    weekly_hours=hours(("08:00", "12:00"), ("13:00", "17:00")),
    holiday_country="AU",
    holiday_subdivision="VIC",
)
# Night shift: Monday–Friday evenings into Tuesday–Saturday mornings.
MANILA_NIGHTS = WorkCalendar.from_config(
    time_zone="Asia/Manila",
    weekly_hours={
        "0": [["22:00", "24:00"]],
        **hours(("00:00", "06:00"), ("22:00", "24:00"), days=(1, 2, 3, 4)),
        "5": [["00:00", "06:00"]],
    },
    holiday_country="PH",
)
# Every night, no holidays: isolates what DST does to an overnight window.
NEW_YORK_NIGHTS = WorkCalendar.from_config(
    time_zone="America/New_York", weekly_hours=hours(("00:00", "06:00"), ("22:00", "24:00"), days=range(7))
)
SYDNEY_NIGHTS = WorkCalendar.from_config(
    time_zone="Australia/Sydney", weekly_hours=hours(("00:00", "06:00"), days=range(7))
)
ALWAYS_SYDNEY = WorkCalendar.always_open("Australia/Sydney")
# New York with an evacuation on Tuesday 10 March 2026 and a storm closing all of Wednesday 11th.
NEW_YORK_WITH_CLOSURES = dataclasses.replace(
    NEW_YORK,
    closures=(
        (datetime(2026, 3, 10, 12, 0, tzinfo=NY), datetime(2026, 3, 10, 15, 0, tzinfo=NY)),
        (datetime(2026, 3, 11, 0, 0, tzinfo=NY), datetime(2026, 3, 12, 0, 0, tzinfo=NY)),
    ),
)


# --- service SLA minutes: hand-worked examples -------------------------------------------------


class TestUsHolidays:
    def test_thanksgiving_is_skipped_and_the_friday_after_is_open(self):
        # Wed 16:00–17:00 = 60; Thu 26 Nov closed; Fri 09:00 + 60.
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 25, 16), 120) == at(NY, 2026, 11, 27, 10)

    def test_thanksgiving_and_the_weekend_after(self):
        # Wed 60 + Fri 480 = 540; Sat, Sun closed; Mon 09:00 + 60.
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 25, 16), 600) == at(NY, 2026, 11, 30, 10)

    def test_minutes_between_across_thanksgiving(self):
        # Wed 12–17 (300) + Fri 09–17 (480) + Mon 09–12 (180).
        assert business_minutes_between(NEW_YORK, at(NY, 2026, 11, 25, 12), at(NY, 2026, 11, 30, 12)) == 960

    def test_thanksgiving_is_closed_and_opens_again_friday_morning(self):
        assert not is_open(NEW_YORK, at(NY, 2026, 11, 26, 10))
        assert next_open(NEW_YORK, at(NY, 2026, 11, 26, 10)) == at(NY, 2026, 11, 27, 9)

    def test_a_target_met_at_closing_time_is_due_at_the_close_not_the_next_opening(self):
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 27, 16), 60) == at(NY, 2026, 11, 27, 17)
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 27, 16), 61) == at(NY, 2026, 11, 30, 9, 1)

    def test_zero_minutes_from_a_closed_instant_is_the_next_opening(self):
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 27, 17), 0) == at(NY, 2026, 11, 30, 9)
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 11, 27, 11, 7), 0) == at(NY, 2026, 11, 27, 11, 7)

    def test_juneteenth(self):
        # Thu 15:00–17:00 = 120; Fri 19 Jun closed; weekend; Mon 09:00 + 60.
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 6, 18, 15), 180) == at(NY, 2026, 6, 22, 10)
        assert not is_open(NEW_YORK, at(NY, 2026, 6, 19, 12))
        assert not is_business_day(NEW_YORK, date(2026, 6, 19))

    def test_holidays_are_known_for_any_year(self):
        # Thanksgiving 2040 is Thursday 22 November; the year is looked up on demand.
        assert not is_open(NEW_YORK, at(NY, 2040, 11, 22, 10))
        assert is_open(NEW_YORK, at(NY, 2040, 11, 21, 10))

    def test_ten_thousand_minutes(self):
        # 480 a day: days 1–20 are 5 Jan … 2 Feb (MLK Day, 19 Jan, skipped) = 9,600; Tue 3 Feb 09:00 + 400.
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 1, 5, 9), 10_000) == at(NY, 2026, 2, 3, 15, 40)

    def test_a_year_of_minutes(self):
        # 5 Jan–31 Dec 2026 has 259 weekdays; 10 federal holidays fall on them (4 Jul is a Saturday,
        # observed Fri 3 Jul); 1 Jan 2027 is a holiday too. 249 days × 480.
        assert business_minutes_between(NEW_YORK, at(NY, 2026, 1, 5), at(NY, 2027, 1, 4)) == 119_520
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 1, 5), 119_520) == at(NY, 2026, 12, 31, 17)


class TestDaylightSaving:
    def test_new_york_spring_forward_night_is_an_hour_shorter(self):
        # 22:00 EST (03:00 UTC) to 06:00 EDT (10:00 UTC): 7 real hours.
        assert business_minutes_between(NEW_YORK_NIGHTS, at(NY, 2026, 3, 7, 21), at(NY, 2026, 3, 8, 7)) == 420

    def test_new_york_spring_forward_adds_real_minutes(self):
        # Four real hours after 22:00 EST is 03:00 EDT: the clocks skipped 02:00–03:00.
        assert add_business_minutes(NEW_YORK_NIGHTS, at(NY, 2026, 3, 7, 22), 240) == at(NY, 2026, 3, 8, 3)
        # The night gives 420; the next window opens Sunday 22:00 EDT.
        assert add_business_minutes(NEW_YORK_NIGHTS, at(NY, 2026, 3, 7, 22), 480) == at(NY, 2026, 3, 8, 23)

    def test_new_york_fall_back_night_is_an_hour_longer(self):
        # 22:00 EDT (02:00 UTC) to 06:00 EST (11:00 UTC): 9 real hours.
        assert business_minutes_between(NEW_YORK_NIGHTS, at(NY, 2026, 10, 31, 21), at(NY, 2026, 11, 1, 7)) == 540

    def test_new_york_fall_back_lands_in_either_one_oclock(self):
        start = at(NY, 2026, 10, 31, 22)
        assert add_business_minutes(NEW_YORK_NIGHTS, start, 180) == at(NY, 2026, 11, 1, 1, fold=0)  # 05:00 UTC
        assert add_business_minutes(NEW_YORK_NIGHTS, start, 240) == at(NY, 2026, 11, 1, 1, fold=1)  # 06:00 UTC

    def test_an_interval_spanning_the_skipped_hour_is_shorter(self):
        cal = WorkCalendar.from_config(
            time_zone="America/New_York", weekly_hours=hours(("01:00", "03:00"), days=range(7))
        )
        assert business_minutes_between(cal, at(NY, 2026, 3, 8), at(NY, 2026, 3, 8, 12)) == 60
        assert business_minutes_between(cal, at(NY, 2026, 3, 9), at(NY, 2026, 3, 9, 12)) == 120
        # Fall back: from the first 01:00 (EDT) to 03:00 EST is three real hours.
        assert business_minutes_between(cal, at(NY, 2026, 11, 1), at(NY, 2026, 11, 1, 12)) == 180

    def test_an_opening_time_the_clocks_skip_opens_when_they_jump(self):
        cal = WorkCalendar.from_config(
            time_zone="America/New_York", weekly_hours=hours(("02:30", "04:00"), days=range(7))
        )
        # 02:30 does not exist on 8 March 2026; the wall clock first reads later than it at 03:00 EDT.
        assert next_open(cal, at(NY, 2026, 3, 8)) == at(NY, 2026, 3, 8, 3)
        assert business_minutes_between(cal, at(NY, 2026, 3, 8), at(NY, 2026, 3, 8, 12)) == 60

    def test_sydney_fall_back_over_easter(self):
        # Thu 2 Apr 16:00 AEDT + 60 to 17:00; Good Friday, weekend (DST ends Sun 5 Apr), Easter Monday
        # closed; Tue 7 Apr 08:00 AEST + 60. In UTC: Thu 05:00 to Mon 6 Apr 23:00.
        result = add_business_minutes(SYDNEY, at(SYD, 2026, 4, 2, 16), 120)
        assert result == at(SYD, 2026, 4, 7, 9)
        assert result == datetime(2026, 4, 6, 23, 0, tzinfo=UTC)
        # Thu 13–17 (240) + Tue 08–12 (240).
        assert business_minutes_between(SYDNEY, at(SYD, 2026, 4, 2, 12), at(SYD, 2026, 4, 7, 12)) == 480

    def test_sydney_spring_forward_then_labour_day(self):
        # Fri 2 Oct 16:30 AEST + 30 to 17:00; weekend (DST starts Sun 4 Oct); Mon 5 Oct is NSW Labour
        # Day; Tue 6 Oct 08:00 AEDT + 30. In UTC: Fri 06:30 to Mon 5 Oct 21:30.
        result = add_business_minutes(SYDNEY, at(SYD, 2026, 10, 2, 16, 30), 60)
        assert result == at(SYD, 2026, 10, 6, 8, 30)
        assert result == datetime(2026, 10, 5, 21, 30, tzinfo=UTC)

    def test_sydney_overnight_window_on_both_changes(self):
        # 00:00–06:00 local: on 5 Apr 03:00 AEDT becomes 02:00 AEST (7 real hours); on 4 Oct 02:00
        # AEST becomes 03:00 AEDT (5 real hours).
        assert business_minutes_between(SYDNEY_NIGHTS, at(SYD, 2026, 4, 5), at(SYD, 2026, 4, 5, 12)) == 420
        assert business_minutes_between(SYDNEY_NIGHTS, at(SYD, 2026, 10, 4), at(SYD, 2026, 10, 4, 12)) == 300

    def test_always_open_counts_real_minutes_across_a_change(self):
        assert business_minutes_between(ALWAYS_SYDNEY, at(SYD, 2026, 4, 4, 12), at(SYD, 2026, 4, 5, 12)) == 25 * 60
        assert business_minutes_between(ALWAYS_SYDNEY, at(SYD, 2026, 10, 3, 12), at(SYD, 2026, 10, 4, 12)) == 23 * 60

    def test_end_of_a_local_day(self):
        assert end_of_day(NEW_YORK, date(2026, 3, 7)) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
        assert end_of_day(SYDNEY, date(2026, 4, 4)) == datetime(2026, 4, 4, 13, 0, tzinfo=UTC)


class TestSplitAndOvernightShifts:
    def test_lunch_break_is_skipped(self):
        assert add_business_minutes(SYDNEY, at(SYD, 2026, 2, 9, 11, 30), 30) == at(SYD, 2026, 2, 9, 12)
        assert add_business_minutes(SYDNEY, at(SYD, 2026, 2, 9, 11, 30), 60) == at(SYD, 2026, 2, 9, 13, 30)
        assert not is_open(SYDNEY, at(SYD, 2026, 2, 9, 12, 30))
        assert next_open(SYDNEY, at(SYD, 2026, 2, 9, 12, 30)) == at(SYD, 2026, 2, 9, 13)
        assert business_minutes_between(SYDNEY, at(SYD, 2026, 2, 9, 8), at(SYD, 2026, 2, 9, 17)) == 480

    def test_night_shift_runs_through_midnight(self):
        # Fri 23:00–24:00 then Sat 00:00–01:00.
        assert add_business_minutes(MANILA_NIGHTS, at(MNL, 2026, 1, 9, 23), 120) == at(MNL, 2026, 1, 10, 1)
        assert add_business_minutes(MANILA_NIGHTS, at(MNL, 2026, 1, 12, 22), 120) == at(MNL, 2026, 1, 13)
        assert is_open(MANILA_NIGHTS, at(MNL, 2026, 1, 13))
        assert business_minutes_between(MANILA_NIGHTS, at(MNL, 2026, 1, 12, 21), at(MNL, 2026, 1, 13, 7)) == 480

    def test_night_shift_has_no_sunday_or_monday_morning(self):
        # Saturday 06:00 closes the week; Monday 22:00 opens the next.
        assert add_business_minutes(MANILA_NIGHTS, at(MNL, 2026, 1, 10, 7), 60) == at(MNL, 2026, 1, 12, 23)
        assert not is_open(MANILA_NIGHTS, at(MNL, 2026, 1, 12, 3))


class TestAustralianRegions:
    def test_australia_day_closes_both_states(self):
        assert not is_open(SYDNEY, at(SYD, 2026, 1, 26, 10))
        assert not is_open(MELBOURNE, at(MEL, 2026, 1, 26, 10))
        assert add_business_days(SYDNEY, date(2026, 1, 23), 1) == date(2026, 1, 27)

    def test_kings_birthday_in_nsw(self):
        assert not is_open(SYDNEY, at(SYD, 2026, 6, 8, 10))
        assert not is_business_day(SYDNEY, date(2026, 6, 8))

    def test_melbourne_cup_closes_victoria_only(self):
        assert not is_open(MELBOURNE, at(MEL, 2026, 11, 3, 10))
        assert is_open(SYDNEY, at(SYD, 2026, 11, 3, 10))
        assert add_business_days(MELBOURNE, date(2026, 11, 2), 1) == date(2026, 11, 4)
        assert add_business_days(SYDNEY, date(2026, 11, 2), 1) == date(2026, 11, 3)

    def test_labour_day_differs_by_state(self):
        # Victoria: Monday 9 March; New South Wales: Monday 5 October.
        assert is_business_day(SYDNEY, date(2026, 3, 9)) and not is_business_day(MELBOURNE, date(2026, 3, 9))
        assert is_business_day(MELBOURNE, date(2026, 10, 5)) and not is_business_day(SYDNEY, date(2026, 10, 5))

    def test_rg271_acknowledgement_after_anzac_day_on_a_saturday(self):
        # ANZAC Day 2026 is a Saturday: NSW observes it on Monday 27 April, Victoria does not.
        assert add_business_days(SYDNEY, date(2026, 4, 24), 1) == date(2026, 4, 28)
        assert add_business_days(MELBOURNE, date(2026, 4, 24), 1) == date(2026, 4, 27)


class TestMonthEndAndClosures:
    def test_month_end(self):
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 3, 31, 16, 30), 60) == at(NY, 2026, 4, 1, 9, 30)

    def test_month_end_into_labor_day_in_manila(self):
        # Thu 30 Apr 17:00–18:00 = 60; Fri 1 May Labor Day; weekend; Mon 4 May 09:00 + 60.
        assert add_business_minutes(MANILA, at(MNL, 2026, 4, 30, 17), 120) == at(MNL, 2026, 5, 4, 10)

    def test_holy_week_in_manila(self):
        # Maundy Thursday 2 Apr and Good Friday 3 Apr 2026 are holidays; Black Saturday is a Saturday.
        assert add_business_minutes(MANILA, at(MNL, 2026, 4, 1, 17), 120) == at(MNL, 2026, 4, 6, 10)

    def test_year_end_reaches_next_years_holidays(self):
        # Thu 31 Dec 16:00–17:00 = 60; Fri 1 Jan 2027 New Year's Day; weekend; Mon 4 Jan 09:00 + 60.
        assert add_business_minutes(NEW_YORK, at(NY, 2026, 12, 31, 16), 120) == at(NY, 2027, 1, 4, 10)

    def test_a_closure_is_skipped(self):
        cal = NEW_YORK_WITH_CLOSURES
        # 11:00–12:00 = 60; closed 12:00–15:00; 15:00 + 60.
        assert add_business_minutes(cal, at(NY, 2026, 3, 10, 11), 120) == at(NY, 2026, 3, 10, 16)
        assert business_minutes_between(cal, at(NY, 2026, 3, 10, 9), at(NY, 2026, 3, 10, 17)) == 300
        assert not is_open(cal, at(NY, 2026, 3, 10, 13))
        assert next_open(cal, at(NY, 2026, 3, 10, 13)) == at(NY, 2026, 3, 10, 15)

    def test_a_day_long_closure_is_not_a_business_day(self):
        cal = NEW_YORK_WITH_CLOSURES
        assert not is_business_day(cal, date(2026, 3, 11))
        assert add_business_days(cal, date(2026, 3, 10), 1) == date(2026, 3, 12)
        assert add_business_minutes(cal, at(NY, 2026, 3, 10, 16), 120) == at(NY, 2026, 3, 12, 10)


# --- regulatory days ---------------------------------------------------------------------------


class TestBusinessAndCalendarDays:
    def test_reg_e_ten_business_days_from_a_friday_before_a_monday_holiday(self):
        # Received Fri 16 Jan 2026; Mon 19 Jan is MLK Day. Day 1 Tue 20 … day 4 Fri 23, day 5 Mon 26 …
        # day 9 Fri 30, day 10 Mon 2 Feb.
        assert add_business_days(NEW_YORK, date(2026, 1, 16), 10) == date(2026, 2, 2)

    def test_reg_e_counts_from_the_local_date_of_receipt(self):
        # 23:30 in New York on Friday is already Saturday in UTC; the local date decides.
        received = datetime(2026, 1, 16, 23, 30, tzinfo=NY).astimezone(UTC)
        assert received.date() == date(2026, 1, 17)
        assert add_business_days(NEW_YORK, received, 10) == date(2026, 2, 2)

    def test_a_notice_received_on_a_weekend_counts_from_the_next_business_day(self):
        assert add_business_days(NEW_YORK, date(2026, 1, 17), 10) == date(2026, 2, 2)

    def test_presidents_day(self):
        # Fri 13 Feb; Mon 16 Feb closed; day 1 Tue 17 … day 10 Mon 2 Mar.
        assert add_business_days(NEW_YORK, date(2026, 2, 13), 10) == date(2026, 3, 2)

    def test_two_business_days_over_thanksgiving(self):
        assert add_business_days(NEW_YORK, date(2026, 11, 25), 2) == date(2026, 11, 30)

    def test_zero_days_is_the_start_date(self):
        assert add_business_days(NEW_YORK, date(2026, 1, 17), 0) == date(2026, 1, 17)
        assert add_calendar_days(NEW_YORK, date(2026, 1, 17), 0) == date(2026, 1, 17)

    def test_calendar_days(self):
        # CFPB: 15 days from Fri 16 Jan is Sat 31 Jan, open or not.
        assert add_calendar_days(NEW_YORK, date(2026, 1, 16), 15) == date(2026, 1, 31)
        # RG 271: 30 days from 31 Jan runs over a 28-day February.
        assert add_calendar_days(SYDNEY, date(2026, 1, 31), 30) == date(2026, 3, 2)
        # 10:30 on 31 Jan in Sydney is still 30 Jan in UTC.
        assert add_calendar_days(SYDNEY, datetime(2026, 1, 30, 23, 30, tzinfo=UTC), 28) == date(2026, 2, 28)

    def test_negative_counts_are_refused(self):
        with pytest.raises(ValueError):
            add_business_days(NEW_YORK, date(2026, 1, 16), -1)
        with pytest.raises(ValueError):
            add_calendar_days(NEW_YORK, date(2026, 1, 16), -1)
        with pytest.raises(ValueError):
            add_business_minutes(NEW_YORK, at(NY, 2026, 1, 16, 10), -1)


# --- construction and validation ---------------------------------------------------------------


class TestValidation:
    def test_valid_hours_have_no_problems(self):
        assert validate_weekly_hours(hours(("08:00", "12:00"), ("12:00", "17:00"))) == []
        assert validate_weekly_hours({"0": [["22:00", "24:00"]], "1": [["00:00", "06:00"], ["22:00", "00:00"]]}) == []
        assert validate_weekly_hours({0: [["00:00", "24:00"]]}) == []

    def test_inverted_interval(self):
        assert validate_weekly_hours({"0": [["17:00", "09:00"]]}) == [
            "Monday: 17:00–09:00 ends before it starts; split an overnight window into 17:00–24:00 and "
            "00:00–09:00 of the next day."
        ]

    def test_empty_interval(self):
        assert validate_weekly_hours({"2": [["09:00", "09:00"]]}) == [
            "Wednesday: 09:00–09:00 ends before it starts; split an overnight window into 09:00–24:00 and "
            "00:00–09:00 of the next day."
        ]

    def test_overlapping_intervals(self):
        assert validate_weekly_hours({"0": [["12:00", "17:00"], ["09:00", "13:00"]]}) == [
            "Monday: 12:00–17:00 overlaps 09:00–13:00."
        ]
        assert validate_weekly_hours({"6": [["20:00", "24:00"], ["22:00", "23:00"]]}) == [
            "Sunday: 22:00–23:00 overlaps 20:00–24:00."
        ]

    def test_malformed_times(self):
        assert validate_weekly_hours({"1": [["9am", "17:00"], ["18:00", "24:30"], ["24:00", "24:00"]]}) == [
            "Tuesday interval 1: '9am' is not a start time in HH:MM (00:00–23:59).",
            "Tuesday interval 2: '24:30' is not an end time in HH:MM (up to 24:00).",
            "Tuesday interval 3: '24:00' is not a start time in HH:MM (00:00–23:59).",
        ]
        assert validate_weekly_hours({"1": [["09:00"]], "2": "09:00-17:00"}) == [
            'Tuesday interval 1: expected ["HH:MM", "HH:MM"], got [\'09:00\'].',
            'Wednesday: expected a list of ["HH:MM", "HH:MM"] intervals, got \'09:00-17:00\'.',
        ]

    def test_weekday_keys_outside_the_week(self):
        assert validate_weekly_hours({"7": [["09:00", "17:00"]], "Mon": [], "0": [["09:00", "17:00"]]}) == [
            "'7' is not a weekday number; use 0 (Monday) to 6 (Sunday).",
            "'Mon' is not a weekday number; use 0 (Monday) to 6 (Sunday).",
        ]

    def test_no_open_hours(self):
        message = "No open hours: give at least one weekday an opening interval."
        assert validate_weekly_hours({}) == [message]
        assert validate_weekly_hours({"0": [], "5": []}) == [message]
        assert validate_weekly_hours([["09:00", "17:00"]]) == [
            'Weekly hours must map weekday numbers (0 = Monday … 6 = Sunday) to lists of ["HH:MM", "HH:MM"].'
        ]

    def test_holiday_regions(self):
        assert validate_holiday_region("AU", "NSW") == []
        assert validate_holiday_region("US") == []
        assert validate_holiday_region("") == []
        assert validate_holiday_region("", "NSW") == ["A holiday subdivision needs a country."]

    def test_unknown_country(self):
        [problem] = validate_holiday_region("XX")
        assert problem.startswith("'XX' is not a country code the holidays package knows. Use an ISO 3166-1")
        assert "such as US, AU, PH, GB or SG" in problem
        [problem] = validate_holiday_region("us")
        assert "Did you mean 'US'?" in problem

    def test_unknown_subdivision_names_the_valid_ones(self):
        assert validate_holiday_region("AU", "XYZ") == [
            "'XYZ' is not a holiday subdivision of AU; use one of ACT, NSW, NT, QLD, SA, TAS, VIC, WA, NSW Western."
        ]
        [problem] = validate_holiday_region("US", "ZZ")
        assert problem.startswith("'ZZ' is not a holiday subdivision of US; use one of AK, AL, AR,")
        assert problem.endswith(" and 37 more.")
        assert validate_holiday_region("PH", "NCR") == ["PH has no holiday subdivisions; leave the subdivision empty."]

    def test_from_config_refuses_bad_configuration(self):
        with pytest.raises(ValueError, match="17:00–09:00 ends before it starts"):
            WorkCalendar.from_config(time_zone="UTC", weekly_hours={"0": [["17:00", "09:00"]]})
        with pytest.raises(ValueError, match="'ZZ' is not a country code"):
            WorkCalendar.from_config(time_zone="UTC", weekly_hours=hours(("09:00", "17:00")), holiday_country="ZZ")

    def test_direct_construction_checks_hours_and_closures(self):
        with pytest.raises(ValueError, match="overlaps"):
            WorkCalendar("UTC", {0: ((time(9), time(13)), (time(12), time(17)))})
        with pytest.raises(ValueError, match="No open hours"):
            WorkCalendar("UTC", {})
        with pytest.raises(ValueError, match="naive datetime"):
            WorkCalendar("UTC", {0: ((time(9), time(17)),)}, closures=((datetime(2026, 1, 1), datetime(2026, 1, 2)),))

    def test_naive_datetimes_are_refused(self):
        with pytest.raises(ValueError, match="naive datetime"):
            is_open(NEW_YORK, datetime(2026, 1, 5, 10))

    def test_from_a_business_calendar_row(self):
        row = SimpleNamespace(
            time_zone="America/New_York",
            weekly_hours=hours(("09:00", "17:00")),
            holiday_country="US",
            holiday_subdivision="",
        )
        cal = WorkCalendar.from_business_calendar(row)
        assert cal == NEW_YORK
        assert hash(cal) == hash(NEW_YORK)
        assert cal.weekly_hours[0] == ((time(9), time(17)),)
        assert cal.weekly_hours[5] == ()


# --- laws --------------------------------------------------------------------------------------

CALENDARS = {
    "manila-9-18-PH": MANILA,
    "new-york-9-17-US": NEW_YORK,
    "sydney-split-AU-NSW": SYDNEY,
    "manila-nights-PH": MANILA_NIGHTS,
    "new-york-nights": NEW_YORK_NIGHTS,
    "new-york-closures": NEW_YORK_WITH_CLOSURES,
    "always-open": ALWAYS_SYDNEY,
}
calendars = pytest.mark.parametrize("cal", CALENDARS.values(), ids=CALENDARS.keys())

# Instants where calendars are most likely to go wrong: clock changes, holidays, year ends.
EDGES = [
    at(NY, 2026, 3, 8, 2),
    at(NY, 2026, 11, 1, 1),
    at(SYD, 2026, 4, 5, 2),
    at(SYD, 2026, 10, 4, 2),
    at(NY, 2026, 11, 26),
    at(NY, 2026, 6, 19),
    at(NY, 2026, 3, 10, 12),
    at(SYD, 2026, 4, 3),
    at(MNL, 2026, 4, 2),
    at(MNL, 2026, 12, 31, 22),
    at(NY, 2026, 12, 31, 17),
]
any_instant = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
near_an_edge = st.builds(
    lambda edge, minutes: edge + timedelta(minutes=minutes), st.sampled_from(EDGES), st.integers(-4320, 4320)
)
instants = st.one_of(any_instant, near_an_edge, near_an_edge.map(lambda t: t + timedelta(microseconds=1)))
minute_instants = st.one_of(any_instant.map(lambda t: t.replace(second=0, microsecond=0)), near_an_edge)
minutes = st.integers(min_value=0, max_value=20_000)
law = settings(max_examples=150, deadline=None, database=None)


def wall_clock_open(cal: WorkCalendar, instant: datetime) -> bool:
    """Independent oracle: open when the local wall clock is inside an interval of a working date.

    Agrees with the calendar's first-instant rule whenever no interval boundary falls inside a
    repeated hour, which holds for every calendar above.
    """
    local = instant.astimezone(cal.tz)
    if cal.is_holiday(local.date()) or any(start <= instant < end for start, end in cal.closures):
        return False
    clock = local.time()
    return any(start <= clock and (end == time(0) or clock < end) for start, end in cal.weekly_hours[local.weekday()])


@calendars
@law
@given(start=instants, n=minutes)
def test_adding_minutes_then_measuring_gives_them_back(cal, start, n):
    assert business_minutes_between(cal, start, add_business_minutes(cal, start, n)) == n


@calendars
@law
@given(start=instants, n1=minutes, n2=minutes)
def test_adding_more_minutes_never_ends_earlier(cal, start, n1, n2):
    n1, n2 = sorted((n1, n2))
    assert start <= add_business_minutes(cal, start, n1) <= add_business_minutes(cal, start, n2)


@calendars
@law
@given(start=instants, a=minutes, b=minutes)
def test_adding_in_two_steps_is_adding_the_sum(cal, start, a, b):
    midway = add_business_minutes(cal, start, a)
    if b == 0:
        # Zero minutes means "the next open instant", which steps off a closing boundary.
        assert add_business_minutes(cal, midway, 0) == next_open(cal, midway)
    else:
        assert add_business_minutes(cal, midway, b) == add_business_minutes(cal, start, a + b)


@calendars
@law
@given(start=instants, n=minutes)
def test_a_deadline_is_open_or_the_end_of_an_opening(cal, start, n):
    result = add_business_minutes(cal, start, n)
    assert result.tzinfo is UTC
    assert is_open(cal, result) or (n > 0 and is_open(cal, result - timedelta(microseconds=1)))


@calendars
@law
@given(start=instants)
def test_next_open_is_open_and_nothing_opens_before_it(cal, start):
    opening = next_open(cal, start)
    assert opening >= start
    assert is_open(cal, opening)
    assert (opening == start) == is_open(cal, start)
    assert business_minutes_between(cal, start, opening) == 0


@calendars
@law
@given(start=minute_instants, cut=st.integers(0, 4320), length=st.integers(0, 4320))
def test_minutes_between_split_at_a_whole_minute_add_up(cal, start, cut, length):
    middle, end = start + timedelta(minutes=cut), start + timedelta(minutes=cut + length)
    whole = business_minutes_between(cal, start, end)
    assert whole == business_minutes_between(cal, start, middle) + business_minutes_between(cal, middle, end)
    assert whole <= cut + length


@calendars
@law
@given(instant=instants)
def test_open_agrees_with_the_wall_clock(cal, instant):
    assert is_open(cal, instant) == wall_clock_open(cal, instant)


@calendars
@settings(max_examples=25, deadline=None, database=None)
@given(start=minute_instants, length=st.integers(0, 2 * 1440))
def test_minutes_between_counts_open_minutes_one_by_one(cal, start, length):
    expected = sum(wall_clock_open(cal, start + timedelta(minutes=m)) for m in range(length))
    assert business_minutes_between(cal, start, start + timedelta(minutes=length)) == expected


@calendars
@law
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)), a=st.integers(0, 40), b=st.integers(0, 40)
)
def test_business_days_count_forward_one_business_day_at_a_time(cal, start, a, b):
    result = add_business_days(cal, start, a)
    counted = [start + timedelta(days=d) for d in range(1, (result - start).days + 1)]
    assert sum(is_business_day(cal, day) for day in counted) == a
    assert a == 0 or is_business_day(cal, result)
    assert add_business_days(cal, result, b) == add_business_days(cal, start, a + b)
