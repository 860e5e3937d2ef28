from __future__ import annotations

from django import forms

from cases.choices import JURISDICTIONS, Channel, Priority, Status, Tier, allowed_next
from cases.models import Case, Category, SlaPolicy
from cases.services import MAX_BODY_LENGTH
from cases.sla_policies import CONDITION_KEYS
from cases.widgets import NAME_LABEL_FIELDS, USER_LABEL_FIELDS, LabelOnlyModelChoiceField, QuickSelect
from people.forms import ServiceErrorsForm
from people.models import BusinessCalendar, Team, User
from people.selectors import user_list_assignable


class VersionedForm(forms.Form):
    """Carries the version the editor saw, so a stale submission is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MessageForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write a reply or an internal note…"}),
        max_length=MAX_BODY_LENGTH,
        strip=True,
        error_messages={"required": "Write something before sending."},
    )
    internal = forms.BooleanField(required=False)
    # Set by the case page when a reply template is inserted: the template version used.
    macro_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class StatusForm(VersionedForm):
    to_status = forms.ChoiceField(label="New status", choices=(), widget=QuickSelect)
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"placeholder": "Reason (optional)"})
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        next_statuses = allowed_next(case.status)
        # Offer what the table allows now; a posted value outside it is a field error.
        self.fields["to_status"].choices = [(s.value, s.label) for s in Status if s in next_statuses]


class AssignForm(VersionedForm):
    assignee = LabelOnlyModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned", label_fields=USER_LABEL_FIELDS
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = user_list_assignable(team_ids=[case.team_id])


class PropertiesForm(VersionedForm):
    priority = forms.ChoiceField(choices=Priority.choices, widget=QuickSelect)
    category = LabelOnlyModelChoiceField(
        queryset=Category.objects.filter(is_active=True), empty_label=None, label_fields=NAME_LABEL_FIELDS
    )


class BulkActionForm(forms.Form):
    ACTIONS = [("assign", "Assign"), ("status", "Change status")]

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(), error_messages={"required": "Select at least one case."}
    )
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = LabelOnlyModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned", label_fields=USER_LABEL_FIELDS
    )
    to_status = forms.ChoiceField(choices=[("", "—")] + list(Status.choices), required=False, widget=QuickSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from people.selectors import team_ids_of

        self.fields["cases"].queryset = Case.objects.visible_to(user)
        self.fields["assignee"].queryset = user_list_assignable(team_ids=team_ids_of(user))

    def clean(self):
        data = super().clean()
        if data.get("action") == "status" and not data.get("to_status"):
            self.add_error("to_status", "Choose the status to move the selected cases to.")
        return data


class SlaPolicyForm(ServiceErrorsForm):
    """A policy as a lead edits it. Types are checked here; the rules live in the service."""

    name = forms.CharField(max_length=100)
    is_active = forms.BooleanField(required=False, initial=True, label="Active for new cases")
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False, widget=forms.CheckboxSelectMultiple)
    category = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True), to_field_name="code", required=False
    )
    tier = forms.MultipleChoiceField(choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple)
    channel = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple)
    jurisdiction = forms.MultipleChoiceField(choices=JURISDICTIONS, required=False)
    team = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), to_field_name="slug", required=False)
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label="Around the clock (elapsed minutes)",
        help_text="Targets count the open minutes of this calendar.",
    )
    first_response_minutes = forms.IntegerField(required=False, label="First response (minutes)")
    next_response_minutes = forms.IntegerField(required=False, label="Next response (minutes)")
    resolution_minutes = forms.IntegerField(required=False, label="Resolution (minutes)")
    warn_percent = forms.IntegerField(
        required=False, initial=80, label="Warn at % of target", help_text="1–99; empty for no share-based warning."
    )
    warn_minutes_before = forms.IntegerField(
        required=False, label="…or minutes before due", help_text="Whichever comes first."
    )
    breach_raise_priority = forms.BooleanField(required=False, label="Raise the priority on breach")
    breach_escalate = forms.BooleanField(required=False, label="Escalate on breach")
    change_note = forms.CharField(
        max_length=200,
        required=False,
        label="Why this change",
        widget=forms.TextInput(attrs={"placeholder": "e.g. tighter chat promise from 1 March", "size": 50}),
    )

    @classmethod
    def initial_for(cls, policy: SlaPolicy) -> dict:
        version = policy.current_version
        initial = {"name": policy.name, "is_active": policy.is_active}
        if version is not None:
            initial |= {key: list(version.conditions.get(key, [])) for key in CONDITION_KEYS}
            initial |= {
                field: getattr(version, field)
                for field in (
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "warn_percent",
                    "warn_minutes_before",
                    "breach_raise_priority",
                    "breach_escalate",
                )
            }
            initial["calendar"] = version.calendar_id
        return initial

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        conditions = {key: [str(value) for value in data.get(key) or []] for key in CONDITION_KEYS}
        conditions["category"] = [category.code for category in data.get("category") or []]
        conditions["team"] = [team.slug for team in data.get("team") or []]
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "conditions": {key: values for key, values in conditions.items() if values},
            "calendar": data["calendar"],
            "first_response_minutes": data["first_response_minutes"],
            "next_response_minutes": data["next_response_minutes"],
            "resolution_minutes": data["resolution_minutes"],
            "warn_percent": data["warn_percent"],
            "warn_minutes_before": data["warn_minutes_before"],
            "breach_raise_priority": data["breach_raise_priority"],
            "breach_escalate": data["breach_escalate"],
            "change_note": data["change_note"],
        }
