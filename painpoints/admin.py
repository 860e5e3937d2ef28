"""Read-only admin views: pain points change through their services (timeline and audit)."""

from __future__ import annotations

from django.contrib import admin

from painpoints.models import BulkJob, PainPoint


@admin.register(PainPoint)
class PainPointAdmin(admin.ModelAdmin):
    list_display = ("title", "owner_team", "status", "target_date", "created_at")
    list_filter = ("status", "owner_team")
    search_fields = ("title",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    list_display = ("pain_point", "kind", "status", "total", "done", "skipped", "created_at")
    list_filter = ("kind", "status")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
