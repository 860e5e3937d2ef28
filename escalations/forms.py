from __future__ import annotations

from django import forms

from escalations.choices import ReturnOutcome, Urgency
from escalations.models import Escalation, ReasonCode
from escalations.services import MAX_NOTE_LENGTH
from people.choices import TeamKind
from people.models import Team, User
from people.selectors import team_ids_of, user_list_assignable

# Teams a case can be escalated to: everyone past the frontline.
# The FIU is not a target: cases reach it by referral (compliance.restricted), never by an
# escalation that everyone on the case can read.
ESCALATION_TEAM_KINDS = [kind for kind in TeamKind.values if kind not in (TeamKind.FRONTLINE, TeamKind.FIU)]


def _target_teams(exclude_team_id: int | None):
    qs = Team.objects.filter(kind__in=ESCALATION_TEAM_KINDS).order_by("name")
    return qs.exclude(pk=exclude_team_id) if exclude_team_id else qs


class EscalationRequestForm(forms.Form):
    to_team = forms.ModelChoiceField(
        label="Escalate to",
        queryset=Team.objects.none(),
        error_messages={"required": "Choose the team to escalate to."},
    )
    reason = forms.ModelChoiceField(
        queryset=ReasonCode.objects.filter(is_active=True), error_messages={"required": "Choose a reason."}
    )
    urgency = forms.ChoiceField(choices=[("", "Reason's default")] + list(Urgency.choices), required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What you have tried, what you need from them"}),
        max_length=MAX_NOTE_LENGTH,
        required=False,
    )

    def __init__(self, *args, from_team_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = _target_teams(from_team_id)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AcceptForm(VersionedForm):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Me")

    def __init__(self, *args, escalation: Escalation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = user_list_assignable(team_ids=[escalation.to_team_id])


class ReturnForm(VersionedForm):
    outcome = forms.ChoiceField(
        choices=[("", "Choose an outcome")] + list(ReturnOutcome.choices),
        error_messages={"required": "Choose an outcome for the sender."},
    )
    guidance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What the sender should do next"}),
        max_length=MAX_NOTE_LENGTH,
        error_messages={"required": "Tell the sender what to do next."},
    )


class HandOnForm(VersionedForm, EscalationRequestForm):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE_LENGTH,
        error_messages={"required": "Say why it goes on to another team."},
    )


class BulkEscalationForm(forms.Form):
    ACTIONS = [("accept", "Accept"), ("assign", "Accept for")]

    escalations = forms.ModelMultipleChoiceField(
        queryset=Escalation.objects.none(), error_messages={"required": "Select at least one escalation."}
    )
    action = forms.ChoiceField(choices=ACTIONS)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="—")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = team_ids_of(user)
        self.fields["escalations"].queryset = Escalation.objects.open().filter(to_team_id__in=teams)
        self.fields["owner"].queryset = user_list_assignable(team_ids=teams)

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", "Choose who takes the selected escalations.")
        return data
