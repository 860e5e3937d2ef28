from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from people.models import BusinessCalendar, Membership, Shift, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Escalation Desk", {"fields": ("role", "time_zone", "languages")}))
    list_display = ("username", "first_name", "last_name", "role", "time_zone", "is_active")
    list_filter = ("role", "is_active", "teams")
    inlines = [MembershipInline, ShiftInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "time_zone", "calendar")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country", "holiday_subdivision")
