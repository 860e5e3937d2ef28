from __future__ import annotations

from django import forms

from compliance.choices import FACTS, FlagKind
from compliance.models import DecisionReason


def facts_form_class(kind: str) -> type[forms.Form]:
    """A form with one field per fact the flag kind records (compliance.choices.FACTS)."""
    fields: dict[str, forms.Field] = {}
    for fact in FACTS[kind]:
        if fact.kind == "choice":
            field = forms.ChoiceField(choices=[("", "—"), *fact.choices], required=False)
        elif fact.kind == "date":
            field = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
        elif fact.kind == "bool":
            field = forms.BooleanField(required=False)
        else:
            field = forms.CharField(required=False, max_length=200)
        field.label = fact.label
        fields[fact.key] = field
    # The services validate (required facts, dates, order); the form only carries the values.
    return type(f"{kind.title()}FactsForm", (forms.Form,), fields)


def facts_correction_form_class(kind: str, *, trigger_key: str | None) -> type[forms.Form]:
    """The facts form plus the reason for the correction. The date a regulatory clock runs
    from is shown but not editable here: compliance corrects it on the review page."""
    base = facts_form_class(kind)
    reason = forms.CharField(
        label="Why the facts change", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
    form_class = type(f"{base.__name__}Correction", (base,), {"reason": reason})
    if trigger_key:
        field = form_class.base_fields[trigger_key]
        field.disabled = True
        field.help_text = "A regulatory clock runs from this date; only compliance can correct it."
    return form_class


class TriggerCorrectionForm(forms.Form):
    trigger_date = forms.DateField(label="Correct trigger date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Why", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class KindForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Choose the kind of flag"), *FlagKind.choices])


class SignOffForm(forms.Form):
    reason = forms.ModelChoiceField(queryset=DecisionReason.objects.none(), empty_label="Choose a reason code")
    amount = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Amount paid (payment decisions only)"
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    seen_hash = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        # A small table; matched in Python because SQLite (the quickstart) has no JSON "contains".
        fitting = [reason.pk for reason in DecisionReason.objects.filter(is_active=True) if kind in reason.kinds]
        self.fields["reason"].queryset = DecisionReason.objects.filter(pk__in=fitting)
