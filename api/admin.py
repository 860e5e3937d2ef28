from django.contrib import admin, messages

from api.models import ApiToken, ServiceAccount
from api.tokens import TokenError, token_issue, token_revoke


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "integration", "contact", "created_at")
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request) -> bool:
        # Created with `manage.py api_token service-account`, which also makes its user and teams.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued here or with ``manage.py api_token issue``; the secret is shown once."""

    list_display = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "expires_at", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
        return readonly + ["user", "name", "expires_at"] if obj else readonly

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            issued = token_issue(
                actor=request.user, user=obj.user, name=obj.name, expires_at=form.cleaned_data.get("expires_at")
            )
        except TokenError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = issued.token.pk
        messages.warning(request, f"Copy the token now; it is not shown again: {issued.secret}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(actor=request.user, token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
