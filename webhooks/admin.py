from django.contrib import admin

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_save


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "service_account", "is_active", "created_at")
    list_filter = ("is_active",)
    readonly_fields = ("created_at",)
    fields = ("name", "url", "events", "service_account", "secret", "is_active", "created_at")

    def save_model(self, request, obj, form, change):
        webhook_endpoint_save(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deliveries point at endpoints; switch one off instead.
        return False


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, each attempt and its answer. Read-only."""

    list_display = ("created_at", "event", "endpoint", "case_reference", "status", "attempts", "last_status_code")
    list_filter = ("status", "event", "endpoint")
    search_fields = ("case_reference", "delivery_id")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
