"""Forms of the pain point pages; services decide, forms only parse."""

from __future__ import annotations

from django import forms

from painpoints.choices import Chain, IdentifierKind, PainPointStatus
from people.forms import ServiceErrorsForm
from people.models import Team


class IdentifierForm(ServiceErrorsForm):
    kind = forms.ChoiceField(choices=IdentifierKind.choices, label="Kind")
    chain = forms.ChoiceField(choices=Chain.choices, required=False, label="Chain",
                              help_text="For wallets and transaction hashes; detected when left empty.")  # fmt: skip
    value = forms.CharField(max_length=400, label="Identifier")


class PainPointForm(ServiceErrorsForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Owner team", required=False)
    target_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Target date")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.exclude(kind="fiu").order_by("name")


class StatusForm(ServiceErrorsForm):
    to_status = forms.ChoiceField(choices=PainPointStatus.choices, label="Move to")
    note = forms.CharField(max_length=500, required=False, label="Note")
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkForm(ServiceErrorsForm):
    reference = forms.CharField(max_length=20, label="Case reference")
    amount_at_stake = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                         label="Amount at stake (USD)")  # fmt: skip


class CaseIdsField(forms.Field):
    """Case ids ticked on a page; whether the lead may see them is the service's question."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(item) for item in value or []})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Those are not case ids.") from exc


class ClusterLinkForm(forms.Form):
    """Link the cases ticked on a cluster page to a pain point."""

    cases = CaseIdsField(required=False)
    pain_point = forms.IntegerField(label="Pain point")


class QueueLinkForm(forms.Form):
    """Link every case a triage queue filter matches (its URL or query string)."""

    queue_filter = forms.CharField(max_length=2000, label="Queue filter (URL or query string)")


class SendForm(ServiceErrorsForm):
    macro_version = forms.IntegerField(required=False, label="Approved reply")
