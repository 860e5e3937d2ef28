"""The routing rule form: types are checked here, the rules themselves in ``cases.routing``."""

from __future__ import annotations

from django import forms

from cases.choices import JURISDICTIONS, Tier
from cases.models import Category, RoutingRule
from people.forms import ServiceErrorsForm
from people.models import Team

COUNTRY_CHOICES = [("US", "US – every state"), ("AU", "AU – every state")]


def _codes(text: str, *, lower: bool = True) -> list[str]:
    """``"scam, Reg-E  kyc"`` as ``["scam", "reg-e", "kyc"]``: commas or spaces separate codes."""
    parts = [part.strip() for part in text.replace(",", " ").split()]
    return [part.lower() if lower else part for part in parts if part]


class RoutingRuleForm(ServiceErrorsForm):
    name = forms.CharField(max_length=100)
    is_active = forms.BooleanField(required=False, initial=True, label="Active for cases routed from now on")
    # Not required here: the service refuses a rule without a target with a message that says why.
    target_team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="— choose a team —", label="Send to team"
    )
    category = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True), to_field_name="code", required=False
    )
    jurisdiction = forms.MultipleChoiceField(choices=COUNTRY_CHOICES + JURISDICTIONS, required=False)
    tier = forms.MultipleChoiceField(
        choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Customer tier"
    )
    language = forms.CharField(
        required=False,
        help_text="ISO 639-1 codes, e.g. es, tl; empty for any language.",
        widget=forms.TextInput(attrs={"size": 20, "autocomplete": "off"}),
    )
    flag_kinds = forms.CharField(
        required=False,
        label="Flag kinds",
        help_text="e.g. scam, unauthorized_transfer; matched once regulatory flags are recorded on cases.",
        widget=forms.TextInput(attrs={"size": 40, "autocomplete": "off"}),
    )
    required_skills = forms.CharField(
        required=False,
        label="Required skills",
        help_text="Skill codes every assignee must have, e.g. scam; empty for none.",
        widget=forms.TextInput(attrs={"size": 40, "autocomplete": "off"}),
    )

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict:
        conditions = rule.conditions or {}
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "target_team": rule.target_team_id,
            "category": list(conditions.get("category", [])),
            "jurisdiction": list(conditions.get("jurisdiction", [])),
            "tier": list(conditions.get("tier", [])),
            "language": ", ".join(conditions.get("language", [])),
            "flag_kinds": ", ".join(conditions.get("flag_kinds", [])),
            "required_skills": ", ".join(rule.required_skills or []),
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        conditions = {
            "category": [category.code for category in data.get("category") or []],
            "jurisdiction": list(data.get("jurisdiction") or []),
            "tier": list(data.get("tier") or []),
            "language": _codes(data.get("language") or ""),
            "flag_kinds": _codes(data.get("flag_kinds") or ""),
        }
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "target_team": data.get("target_team"),
            "conditions": {key: values for key, values in conditions.items() if values},
            # Kept as typed so a code with capitals is reported, not silently changed.
            "required_skills": _codes(data.get("required_skills") or "", lower=False),
        }
