"""Read-only admin: documents, versions and training records change only through the services."""

from __future__ import annotations

from django.contrib import admin

from knowledge.models import Acknowledgement, Document, DocumentVersion, Scorecard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "current_version", "required_number", "script_kind")
    list_filter = ("kind",)
    search_fields = ("title", "slug")


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("title", "number", "material_change", "requires_approval", "created_at")
    exclude = ("search",)


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("agent", "document", "version_number", "acknowledged_at")


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ("sample", "agent", "reviewer", "status", "total", "created_at")
