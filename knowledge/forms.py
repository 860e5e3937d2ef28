"""Knowledge forms: types are checked here; the rules live in the services."""

from __future__ import annotations

from django import forms

from cases.choices import JURISDICTIONS
from cases.models import Category
from compliance.choices import FlagKind
from knowledge.choices import COUNTRIES, SCORE_MAX, SCORE_MIN, DocKind, ReviewDecision, RubricItem
from knowledge.models import DocumentVersion
from knowledge.services import Draft
from people.forms import ServiceErrorsForm
from people.models import Team


class VersionForm(ServiceErrorsForm):
    title = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), required=False, strip=False)
    change_note = forms.CharField(max_length=300, required=False, label="What changed")
    material_change = forms.BooleanField(required=False, label="Material change (everyone must acknowledge it again)")
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    flag_kinds = forms.MultipleChoiceField(
        choices=FlagKind.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Regulatory flag kinds (needs compliance approval)",
    )  # fmt: skip
    jurisdictions = forms.MultipleChoiceField(choices=list(COUNTRIES) + list(JURISDICTIONS), required=False)
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple,
        label="Teams who must acknowledge it (none: everyone)",
    )  # fmt: skip

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            title=data["title"],
            body=data["body"],
            change_note=data["change_note"],
            material_change=data["material_change"],
            categories=list(data["categories"]),
            flag_kinds=list(data["flag_kinds"]),
            jurisdictions=list(data["jurisdictions"]),
            teams=list(data["teams"]),
        )

    @classmethod
    def initial_for(cls, version: DocumentVersion) -> dict:
        links = list(version.links.all())
        return {
            "title": version.title,
            "body": version.body,
            "categories": [link.category_id for link in links if link.category_id],
            "flag_kinds": [link.flag_kind for link in links if link.flag_kind],
            "jurisdictions": [link.jurisdiction for link in links if link.jurisdiction],
            "teams": [link.team_id for link in links if link.team_id],
        }


class DocumentForm(VersionForm):
    kind = forms.ChoiceField(choices=DocKind.choices)
    script_kind = forms.ChoiceField(
        choices=[("", "—")] + list(FlagKind.choices), required=False,
        label="Customer script for (reply templates only)",
    )  # fmt: skip

    field_order = ["kind", "title", "body", "script_kind"]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ScorecardForm(ServiceErrorsForm):
    """One score and comment per rubric item; missing or out-of-range scores are reported by
    the service, so the page and any other caller get the same messages."""

    # The service names rubric items; their score fields carry the problems.
    problem_field_prefix = "score_"

    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Overall comment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in RubricItem:
            self.fields[f"score_{item.value}"] = forms.CharField(
                required=False, label=item.label,
                widget=forms.NumberInput(attrs={"min": SCORE_MIN, "max": SCORE_MAX}),
            )  # fmt: skip
            self.fields[f"comment_{item.value}"] = forms.CharField(max_length=500, required=False, label="Comment")

    def rows(self):
        return [(item, self[f"score_{item.value}"], self[f"comment_{item.value}"]) for item in RubricItem]

    def scores(self) -> dict[str, tuple[object, str]]:
        data = self.cleaned_data
        return {
            item.value: (data.get(f"score_{item.value}"), data.get(f"comment_{item.value}", "")) for item in RubricItem
        }


class ResponseForm(forms.Form):
    to_status = forms.ChoiceField(choices=[("acknowledged", "Acknowledge"), ("disputed", "Dispute")])
    response = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
