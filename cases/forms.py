from __future__ import annotations

from django import forms

from cases.choices import Priority, Status, allowed_next
from cases.models import Case, Category
from cases.services import MAX_BODY_LENGTH
from people.models import User
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


class StatusForm(VersionedForm):
    to_status = forms.ChoiceField(label="New status", choices=())
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"placeholder": "Reason (optional)"})
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        next_statuses = allowed_next(case.status)
        # Offer what the table allows now; a posted value outside it is a field error.
        self.fields["to_status"].choices = [(s.value, s.label) for s in Status if s in next_statuses]


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = user_list_assignable(team_ids=[case.team_id])


class PropertiesForm(VersionedForm):
    priority = forms.ChoiceField(choices=Priority.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), empty_label=None)


class BulkActionForm(forms.Form):
    ACTIONS = [("assign", "Assign"), ("status", "Change status")]

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(), error_messages={"required": "Select at least one case."}
    )
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Unassigned")
    to_status = forms.ChoiceField(choices=[("", "—")] + list(Status.choices), required=False)

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
