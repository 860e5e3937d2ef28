"""Business-calendar pages: who may use them, what a lead types, what gets refused and why."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from audit.models import AuditEvent
from people.calendars import calendar_save
from people.choices import Role
from people.models import BusinessCalendar, BusinessCalendarVersion
from tests.factories import UserFactory

# Tuesday 10 March 2026, 12:00 UTC = 20:00 in Manila, 08:00 in New York.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def calendar_post(*, closures: list[dict] | None = None, initial_closures: int = 0, **changes) -> dict:
    data = {
        "name": "Manila L1 hours",
        "time_zone": "Asia/Manila",
        "hours_0": "09:00-12:00, 13:00-17:00",
        "hours_1": "09:00-17:00",
        "hours_2": "09:00-17:00",
        "hours_3": "09:00-17:00",
        "hours_4": "09:00-17:00",
        "hours_5": "",
        "hours_6": "",
        "holiday_country": "PH",
        "holiday_subdivision": "",
    }
    data.update(changes)
    rows = closures or []
    data |= {
        "closures-TOTAL_FORMS": str(len(rows)),
        "closures-INITIAL_FORMS": str(initial_closures),
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"closures-{index}-{key}": value for key, value in row.items()}
    return data


def errors_of(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


@pytest.fixture
def lead_client(client_for, lead):
    return client_for(lead)


@pytest.fixture
def manila(lead):
    return calendar_save(
        actor=lead,
        calendar=None,
        name="Manila L1 hours",
        time_zone="Asia/Manila",
        weekly_hours={str(day): [["09:00", "17:00"]] for day in range(5)},
        holiday_country="PH",
        closures=[{"start": "2026-12-24T13:00:00+08:00", "end": "2026-12-24T17:00:00+08:00", "reason": "Party"}],
    )


# --- who may use the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sla/calendars/", "/sla/calendars/new/", "edit"])
def test_leads_and_admins_open_the_calendar_pages(client_for, lead, admin_user, manila, path):
    path = f"/sla/calendars/{manila.pk}/" if path == "edit" else path

    assert client_for(lead).get(path).status_code == 200
    assert client_for(admin_user).get(path).status_code == 200


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST, Role.COMPLIANCE, Role.AUDITOR])
@pytest.mark.parametrize("path", ["/sla/calendars/", "/sla/calendars/new/", "edit"])
def test_other_roles_are_refused(client_for, team, manila, role, path):
    path = f"/sla/calendars/{manila.pk}/" if path == "edit" else path
    user = UserFactory(role=role, teams=[team])

    assert client_for(user).get(path).status_code == 403


def test_an_agent_cannot_save_a_calendar_by_posting(client_for, agent, manila):
    response = client_for(agent).post(f"/sla/calendars/{manila.pk}/", calendar_post(hours_0="00:00-24:00"))

    assert response.status_code == 403
    manila.refresh_from_db()
    assert manila.version == 1


@pytest.mark.parametrize("path", ["/sla/calendars/", "/sla/calendars/new/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_an_unknown_calendar_is_not_found(lead_client):
    assert lead_client.get("/sla/calendars/999999/").status_code == 404


# --- creating and editing ------------------------------------------------------------------------


def test_a_lead_creates_a_calendar_with_split_shifts_a_night_window_and_a_closure(lead_client, lead):
    response = lead_client.post(
        "/sla/calendars/new/",
        calendar_post(
            hours_4="09:00-17:00, 22:00-24:00",
            hours_5="00:00-06:00",
            closures=[{"start": "2026-12-24T13:00", "end": "2026-12-24T17:00", "reason": "Christmas party"}],
        ),
    )

    calendar = BusinessCalendar.objects.get(name="Manila L1 hours")
    assert response.status_code == 302
    assert response["Location"] == f"/sla/calendars/{calendar.pk}/"
    assert calendar.weekly_hours == {
        "0": [["09:00", "12:00"], ["13:00", "17:00"]],
        "1": [["09:00", "17:00"]],
        "2": [["09:00", "17:00"]],
        "3": [["09:00", "17:00"]],
        "4": [["09:00", "17:00"], ["22:00", "24:00"]],
        "5": [["00:00", "06:00"]],
        "6": [],
    }
    # Wall-clock times typed by the lead mean the calendar's own zone.
    assert calendar.closures == [
        {"start": "2026-12-24T13:00:00+08:00", "end": "2026-12-24T17:00:00+08:00", "reason": "Christmas party"}
    ]
    assert calendar.holiday_country == "PH"
    assert calendar.versions.get().created_by == lead
    assert AuditEvent.objects.filter(action="calendar.save", actor=lead).count() == 1


def test_the_edit_form_shows_the_hours_as_typed_text(lead_client, manila):
    html = lead_client.get(f"/sla/calendars/{manila.pk}/").content.decode()

    assert 'name="hours_0" value="09:00-17:00"' in html
    assert re.search(r'name="hours_6"[^>]*placeholder="closed"', html)
    assert 'value="2026-12-24T13:00"' in html
    assert 'value="Party"' in html
    assert '<option value="Asia/Manila" selected>' in html


def test_saving_an_edit_writes_the_next_version_and_keeps_the_first(lead_client, manila):
    response = lead_client.post(
        f"/sla/calendars/{manila.pk}/",
        calendar_post(
            hours_5="10:00-14:00",
            closures=[{"start": "2026-12-24T13:00", "end": "2026-12-24T17:00", "reason": "Party", "DELETE": "on"}],
            initial_closures=1,
        ),
    )

    assert response.status_code == 302
    manila.refresh_from_db()
    assert manila.version == 2
    assert manila.weekly_hours["5"] == [["10:00", "14:00"]]
    assert manila.closures == []
    first = BusinessCalendarVersion.objects.get(calendar=manila, number=1)
    assert "5" not in first.weekly_hours
    assert len(first.closures) == 1


def test_a_lead_reads_typed_hours_leniently(lead_client):
    lead_client.post("/sla/calendars/new/", calendar_post(hours_0=" 9:00 – 12:00 ,13:00-17:00, "))

    saved = BusinessCalendar.objects.get(name="Manila L1 hours")
    assert saved.weekly_hours["0"] == [["09:00", "12:00"], ["13:00", "17:00"]]


# --- what is refused, and where it says so --------------------------------------------------------


def assert_nothing_saved() -> None:
    # (The signed-in lead's team has a calendar of its own from its factory.)
    assert not BusinessCalendar.objects.filter(name="Manila L1 hours").exists()
    assert not AuditEvent.objects.filter(action="calendar.save").exists()


def test_a_calendar_with_no_open_hours_is_refused(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(**{f"hours_{day}": "" for day in range(7)}))

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "No open hours: give at least one weekday an opening interval."
    ]
    assert "No open hours" in response.content.decode()
    assert_nothing_saved()


def test_overlapping_windows_are_refused_on_their_weekday(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(hours_0="09:00-12:00, 11:00-13:00"))

    assert response.status_code == 400
    assert errors_of(response, "hours_0") == ["Monday: 11:00–13:00 overlaps 09:00–12:00."]
    assert errors_of(response, "hours_1") == []
    assert_nothing_saved()


def test_an_inverted_window_is_refused_with_the_overnight_advice(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(hours_2="17:00-09:00"))

    assert response.status_code == 400
    [message] = errors_of(response, "hours_2")
    assert message.startswith("Wednesday: 17:00–09:00 ends before it starts")
    assert "17:00–24:00 and 00:00–09:00" in message
    assert_nothing_saved()


def test_a_time_that_does_not_exist_is_refused_on_its_weekday(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(hours_3="09:00-25:00"))

    assert response.status_code == 400
    assert "'25:00' is not an end time" in " ".join(errors_of(response, "hours_3"))
    assert_nothing_saved()


def test_text_that_is_not_a_time_range_is_refused(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(hours_1="nine to five"))

    assert response.status_code == 400
    assert errors_of(response, "hours_1")[0].startswith("'nine to five' is not a time range")
    assert_nothing_saved()


def test_an_unknown_holiday_country_is_refused_on_its_field(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(holiday_country="XX"))

    assert response.status_code == 400
    assert errors_of(response, "holiday_country")[0].startswith("'XX' is not a country code")
    assert_nothing_saved()


def test_an_unknown_subdivision_is_refused(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(holiday_country="AU", holiday_subdivision="XYZ"))

    assert response.status_code == 400
    assert "'XYZ' is not a holiday subdivision of AU" in " ".join(errors_of(response, "holiday_subdivision"))
    assert errors_of(response, "holiday_country") == []
    assert_nothing_saved()


def test_an_unknown_time_zone_is_refused(lead_client):
    response = lead_client.post("/sla/calendars/new/", calendar_post(time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 400
    assert errors_of(response, "time_zone")
    assert_nothing_saved()


def test_a_closure_ending_before_it_starts_is_refused_on_its_row(lead_client):
    response = lead_client.post(
        "/sla/calendars/new/",
        calendar_post(
            closures=[
                {"start": "2026-12-24T13:00", "end": "2026-12-24T17:00", "reason": "Party"},
                {"start": "2026-12-31T17:00", "end": "2026-12-31T09:00", "reason": "New Year's Eve"},
            ]
        ),
    )

    assert response.status_code == 400
    first, second = response.context["closures"].forms
    assert first.non_field_errors() == []
    assert second.non_field_errors() == ["the end must be after the start."]
    assert_nothing_saved()


def test_a_closure_without_a_reason_is_refused(lead_client):
    response = lead_client.post(
        "/sla/calendars/new/",
        calendar_post(closures=[{"start": "2026-12-24T13:00", "end": "2026-12-24T17:00", "reason": ""}]),
    )

    assert response.status_code == 400
    assert response.context["closures"].forms[0].non_field_errors() == ["A closure needs a start, an end and a reason."]
    assert_nothing_saved()


def test_a_second_calendar_with_the_same_name_is_refused(lead_client, manila):
    response = lead_client.post("/sla/calendars/new/", calendar_post(name="manila l1 HOURS"))

    assert response.status_code == 400
    assert errors_of(response, "name") == ["A calendar called 'manila l1 HOURS' exists already."]
    assert BusinessCalendar.objects.filter(name__iexact="manila l1 hours").count() == 1


def test_a_failed_edit_changes_nothing(lead_client, manila):
    response = lead_client.post(f"/sla/calendars/{manila.pk}/", calendar_post(hours_0="17:00-09:00"))

    assert response.status_code == 400
    manila.refresh_from_db()
    assert manila.version == 1
    assert manila.weekly_hours["0"] == [["09:00", "17:00"]]


# --- the preview -----------------------------------------------------------------------------------


def test_the_preview_says_whether_the_team_is_open_now(lead_client, lead, manila):
    # 20:00 in Manila: closed until 09:00 tomorrow; 08:00 in New York on a Tuesday: closed too, opens at 09:00.
    html = lead_client.get(f"/sla/calendars/{manila.pk}/").content.decode()
    assert "closed now" in html
    assert "opens Wed 11 Mar, 09:00" in html

    new_york = calendar_save(
        actor=lead,
        calendar=None,
        name="New York",
        time_zone="America/New_York",
        weekly_hours={str(day): [["07:00", "19:00"]] for day in range(5)},
        holiday_country="US",
        holiday_subdivision="NY",
    )
    assert "open now" in lead_client.get(f"/sla/calendars/{new_york.pk}/").content.decode()


def test_the_preview_lists_the_next_ten_public_holidays(lead_client, manila):
    html = lead_client.get(f"/sla/calendars/{manila.pk}/").content.decode()

    preview = html.split('id="calendar-preview"')[1].split("</section>")[0]
    days = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})">', preview)
    assert len(days) == 10
    assert days == sorted(days)
    assert days[0] >= "2026-03-10"
    # Philippine holidays after 10 March 2026 include Araw ng Kagitingan (Day of Valor) on 9 April.
    assert "2026-04-09" in days
    assert "Next 10 public holidays" in preview


def test_the_list_shows_each_calendar_with_its_zone_region_and_version(lead_client, manila, team):
    team.calendar = manila
    team.save()

    html = lead_client.get("/sla/calendars/").content.decode()

    row = html.split(f'href="/sla/calendars/{manila.pk}/"')[1].split("</tr>")[0]
    assert "Asia/Manila" in row
    assert "PH" in row
    assert team.name in row
    assert "v1" in row


# --- the Django admin goes through the same service --------------------------------------------


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))


def admin_post(**changes) -> dict:
    data = {
        "name": "Sydney hours",
        "time_zone": "Australia/Sydney",
        "holiday_country": "AU",
        "holiday_subdivision": "NSW",
        "weekly_hours": '{"0": [["08:00", "18:00"]], "1": [["08:00", "18:00"]]}',
        "closures": "[]",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    return data | changes


def test_the_admin_saves_a_calendar_as_a_new_version(admin_client):
    response = admin_client.post("/admin/people/businesscalendar/add/", admin_post())

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Sydney hours")
    assert calendar.version == 1
    assert calendar.versions.get().weekly_hours == {"0": [["08:00", "18:00"]], "1": [["08:00", "18:00"]]}

    admin_client.post(
        f"/admin/people/businesscalendar/{calendar.pk}/change/",
        admin_post(weekly_hours='{"0": [["08:00", "20:00"]]}'),
    )

    calendar.refresh_from_db()
    assert calendar.version == 2
    assert calendar.versions.count() == 2
    assert AuditEvent.objects.filter(action="calendar.save").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekly_hours": '{"0": [["09:00", "12:00"], ["11:00", "13:00"]]}'}, "weekly_hours"),
        ({"weekly_hours": "{}"}, "weekly_hours"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"closures": '[{"start": "2026-01-02T10:00:00+11:00", "end": "2026-01-01T10:00:00+11:00"}]'}, "closures"),
    ],
)
def test_the_admin_shows_the_calendar_services_refusals(admin_client, changes, field):
    response = admin_client.post("/admin/people/businesscalendar/add/", admin_post(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not BusinessCalendar.objects.filter(name="Sydney hours").exists()


def test_the_admin_cannot_delete_a_calendar(admin_client, manila):
    assert admin_client.get(f"/admin/people/businesscalendar/{manila.pk}/delete/").status_code == 403
