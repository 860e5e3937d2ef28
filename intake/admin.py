from django.contrib import admin

from intake.models import CfpbComplaint, CfpbImport, IntakeRecord


@admin.register(IntakeRecord)
class IntakeRecordAdmin(admin.ModelAdmin):
    list_display = ("source", "external_id", "case", "actor", "created_at")
    search_fields = ("external_id", "idempotency_key", "case__reference")
    readonly_fields = [f.name for f in IntakeRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CfpbImport)
class CfpbImportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "filename", "status", "created", "updated", "unchanged", "rejected", "started_by")
    exclude = ("source_text",)
    readonly_fields = ("started_by", "filename", "team", "status", "created_at", "finished_at", "created", "updated",
                       "unchanged", "rejected", "error", "report")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CfpbComplaint)
class CfpbComplaintAdmin(admin.ModelAdmin):
    list_display = ("complaint_id", "case", "company", "product", "company_response", "date_sent_to_company")
    search_fields = ("=complaint_id", "company", "case__reference")
    readonly_fields = [f.name for f in CfpbComplaint._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
