from django import forms
from django.contrib import admin

from cases.models import Category, SlaPolicy, SlaPolicyVersion
from cases.sla_policies import TARGET_FIELDS, sla_policy_save, sla_policy_validate
from people.admin import HistoryInline
from people.models import BusinessCalendar


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The category taxonomy is configuration. Cases and customers are not in the admin:
    administrators configure the desk and see no case data."""

    list_display = ("name", "code", "regulatory_sensitive", "is_active", "position")
    list_editable = ("position", "is_active")
    prepopulated_fields = {"code": ("name",)}


class SlaPolicyAdminForm(forms.ModelForm):
    """The policy row plus what its next version will hold; the policy service judges and saves it."""

    conditions = forms.JSONField(
        required=False,
        initial=dict,
        help_text='e.g. {"priority": ["urgent"], "channel": ["chat", "phone"]}; keys: priority, category '
        "(codes), tier, channel, jurisdiction, team (slugs). Empty matches every case.",
    )
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"), required=False, empty_label="Around the clock"
    )
    first_response_minutes = forms.IntegerField(required=False)
    next_response_minutes = forms.IntegerField(required=False)
    resolution_minutes = forms.IntegerField(required=False)
    warn_percent = forms.IntegerField(required=False, initial=80)
    warn_minutes_before = forms.IntegerField(required=False)
    breach_raise_priority = forms.BooleanField(required=False)
    breach_escalate = forms.BooleanField(required=False)
    change_note = forms.CharField(max_length=200, required=False)

    VERSION_FIELDS = (
        "conditions",
        "calendar",
        *TARGET_FIELDS,
        "warn_percent",
        "warn_minutes_before",
        "breach_raise_priority",
        "breach_escalate",
    )

    class Meta:
        model = SlaPolicy
        fields = ("name", "position", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.current_version if self.instance.pk else None
        if version is not None:
            for field in self.VERSION_FIELDS:
                self.initial[field] = getattr(version, field)

    def clean(self):
        data = super().clean()
        problems = sla_policy_validate(
            policy=self.instance if self.instance.pk else None,
            name=data.get("name") or "",
            conditions=data.get("conditions") or {},
            **{field: data.get(field) for field in (*TARGET_FIELDS, "warn_percent", "warn_minutes_before")},
        )
        for field, messages in problems.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data


class SlaPolicyVersionInline(HistoryInline):
    """History is read-only: running timers are pinned to these rows (the database refuses edits too)."""

    model = SlaPolicyVersion
    fk_name = "policy"
    fields = (
        "number",
        "created_at",
        "created_by",
        "conditions",
        "calendar",
        *TARGET_FIELDS,
        "warn_percent",
        "warn_minutes_before",
        "breach_raise_priority",
        "breach_escalate",
        "change_note",
    )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyAdminForm
    list_display = ("name", "position", "is_active", "current_version")
    ordering = ("position", "id")
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        ("Next version", {"fields": SlaPolicyAdminForm.VERSION_FIELDS + ("change_note",)}),
    )
    inlines = [SlaPolicyVersionInline]

    def save_model(self, request, obj, form, change):
        # Through the service: every admin save writes the next version and an audit event.
        data = form.cleaned_data
        saved = sla_policy_save(
            actor=request.user,
            policy=obj if change else None,
            name=data["name"],
            position=data["position"],
            is_active=data["is_active"],
            conditions=data.get("conditions") or {},
            calendar=data.get("calendar"),
            first_response_minutes=data.get("first_response_minutes"),
            next_response_minutes=data.get("next_response_minutes"),
            resolution_minutes=data.get("resolution_minutes"),
            warn_percent=data.get("warn_percent"),
            warn_minutes_before=data.get("warn_minutes_before"),
            breach_raise_priority=data.get("breach_raise_priority", False),
            breach_escalate=data.get("breach_escalate", False),
            change_note=data.get("change_note", ""),
        )
        obj.pk, obj.current_version = saved.pk, saved.current_version

    def has_delete_permission(self, request, obj=None) -> bool:
        # Timers pin the versions; switch a policy off instead of deleting it.
        return False
