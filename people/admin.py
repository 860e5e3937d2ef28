from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from people.calendars import calendar_save, calendar_validate
from people.models import BusinessCalendar, BusinessCalendarVersion, Membership, Shift, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Escalation Desk", {"fields": ("role", "time_zone", "languages", "max_open_cases", "skills")}),
    )
    list_display = ("username", "first_name", "last_name", "role", "time_zone", "is_active")
    list_filter = ("role", "is_active", "teams")
    inlines = [MembershipInline, ShiftInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "time_zone", "calendar", "auto_assign")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


class BusinessCalendarAdminForm(forms.ModelForm):
    """The admin edits the JSON directly; the calendar service judges it, as on the SLA pages."""

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "holiday_country", "holiday_subdivision", "weekly_hours", "closures")
        help_texts = {
            "weekly_hours": '{"0": [["09:00", "12:00"], ["13:00", "17:00"]], ...}: 0 is Monday; "24:00" ends a day.',
            "closures": '[{"start": "2026-12-24T13:00:00+08:00", "end": "...", "reason": "..."}]',
        }

    def clean(self):
        data = super().clean()
        if "time_zone" in data and "weekly_hours" in data:
            problems = calendar_validate(
                time_zone=data["time_zone"],
                weekly_hours=data["weekly_hours"],
                holiday_country=data.get("holiday_country", ""),
                holiday_subdivision=data.get("holiday_subdivision", ""),
                closures=data.get("closures") or [],
            )
            for field, messages in problems.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


class HistoryInline(admin.TabularInline):
    """Versions are history that other rows are pinned to: shown, never added, edited or deleted
    here (the database refuses edits too). Subclasses set ``model`` and ``fields``."""

    extra = 0
    can_delete = False
    ordering = ("-number",)

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class BusinessCalendarVersionInline(HistoryInline):
    model = BusinessCalendarVersion
    fields = ("number", "created_at", "created_by", "time_zone", "holiday_country", "weekly_hours", "closures")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarAdminForm
    list_display = ("name", "time_zone", "holiday_country", "holiday_subdivision", "version")
    readonly_fields = ("version",)
    inlines = [BusinessCalendarVersionInline]

    def save_model(self, request, obj, form, change):
        # Through the service, so an admin save writes a version and an audit event like the pages do.
        data = form.cleaned_data
        saved = calendar_save(
            actor=request.user,
            calendar=obj if change else None,
            name=data["name"],
            time_zone=data["time_zone"],
            weekly_hours=data["weekly_hours"],
            holiday_country=data.get("holiday_country", ""),
            holiday_subdivision=data.get("holiday_subdivision", ""),
            closures=data.get("closures") or [],
        )
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None) -> bool:
        # Teams, policies and timers point at calendars; a calendar is replaced, never deleted.
        return False
