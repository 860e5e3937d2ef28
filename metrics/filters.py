"""The dashboard's filters: one form for the dashboard, its exports and its drill-downs.

Filters live in the URL (GET), so a view is shareable. Bad input is a form error shown above
the dashboard with a 400 status, and nothing is computed: an inverted or absurd date range,
a team, agent or category the viewer may not use, an unknown channel, jurisdiction, flag
kind, tier or time zone.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from functools import lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cases.choices import JURISDICTIONS, Channel, Tier
from cases.models import Category
from compliance.choices import FlagKind
from metrics.choices import Granularity
from metrics.scope import Scope
from people.models import Team, User
from people.roles import ORG_WIDE_READERS, role_of
from people.selectors import team_ids_of

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(2015, 1, 1)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


@lru_cache(maxsize=1)
def zone_datalist() -> SafeString:
    """The time zone suggestions, rendered once: a select of ~600 zones built per request cost
    more than the dashboard's queries."""
    return format_html(
        '<datalist id="metrics-zones">{}</datalist>',
        format_html_join("", '<option value="{}">', ((name,) for name in sorted(_zones()))),
    )


class QuickSelectMixin:
    """A select written in one pass in Python. Django renders each option through its own
    template: with the agents, jurisdictions and categories that was ~20 ms of every dashboard."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, SafeString(" selected") if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class QuickSelect(QuickSelectMixin, forms.Select):
    pass


class QuickSelectMultiple(QuickSelectMixin, forms.SelectMultiple):
    pass


class MetricsFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    tz = forms.CharField(
        required=False, label="Time zone", widget=forms.TextInput(attrs={"list": "metrics-zones", "size": 18})
    )
    granularity = forms.ChoiceField(choices=Granularity.choices, required=False, label="Trend by", widget=QuickSelect)
    team = forms.ModelMultipleChoiceField(queryset=Team.objects.none(), required=False, widget=QuickSelectMultiple)
    agent = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone", widget=QuickSelect
    )
    category = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(), required=False, widget=QuickSelectMultiple
    )
    jurisdiction = forms.MultipleChoiceField(choices=JURISDICTIONS, required=False, widget=QuickSelectMultiple)
    channel = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=QuickSelectMultiple)
    flag_kind = forms.MultipleChoiceField(
        choices=FlagKind.choices, required=False, label="Flag kind", widget=QuickSelectMultiple
    )
    tier = forms.MultipleChoiceField(
        choices=Tier.choices, required=False, label="Customer tier", widget=QuickSelectMultiple
    )
    # Staffing estimate: an hour of the week in the chosen zone and the service target.
    hour = forms.IntegerField(required=False, min_value=0, max_value=167, label="Hour of week")
    target_share = forms.IntegerField(required=False, min_value=50, max_value=99, label="Target %")
    target_minutes = forms.IntegerField(required=False, min_value=1, max_value=1440, label="within minutes")

    def __init__(self, data, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.org_wide = role_of(user) in ORG_WIDE_READERS
        teams = Team.objects.all() if self.org_wide else Team.objects.filter(pk__in=team_ids_of(user))
        self.fields["team"].queryset = teams.order_by("name")
        agents = User.objects.filter(is_active=True, role__in=["agent", "lead", "specialist"])
        if not self.org_wide:
            agents = agents.filter(memberships__team_id__in=team_ids_of(user)).distinct()
        self.fields["agent"].queryset = agents.order_by("username")
        self.fields["category"].queryset = Category.objects.order_by("position", "name")
        for name in ("team", "category"):
            self.fields[name].error_messages["invalid_choice"] = (
                "Unknown %(value)s: not one of the choices you may use."
            )
            self.fields[name].error_messages["invalid_pk_value"] = "“%(pk)s” is not a valid value."
        self.fields["agent"].error_messages["invalid_choice"] = "Unknown agent: not someone in your teams."
        for name in ("jurisdiction", "channel", "flag_kind", "tier", "granularity"):
            self.fields[name].error_messages["invalid_choice"] = "Unknown value “%(value)s”."

    @property
    def zone_datalist(self) -> SafeString:
        return zone_datalist()

    def clean_tz(self) -> str:
        value = self.cleaned_data.get("tz", "").strip()
        if value and value not in _zones():
            raise forms.ValidationError(f"Unknown value “{value}”: use a time zone name such as Asia/Manila.")
        return value

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        end = end or today
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise forms.ValidationError("The end date is before the start date: swap them or pick another range.")
        if start < EARLIEST:
            raise forms.ValidationError(f"The start date is before {EARLIEST:%-d %B %Y}; the desk has no data then.")
        if end > today + timedelta(days=1):
            raise forms.ValidationError("The end date is in the future; figures stop at today.")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"The range is {(end - start).days + 1} days; pick at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data

    def scope(self, *, default_tz: str) -> Scope:
        data = self.cleaned_data
        visible = None if self.org_wide else tuple(sorted(team_ids_of(self.user)))
        agent = data.get("agent")
        return Scope(
            start_day=data["start"],
            end_day=data["end"],
            tz=zoneinfo.ZoneInfo(data.get("tz") or default_tz),
            visible_team_ids=visible,
            granularity=data.get("granularity") or Granularity.DAY,
            team_ids=tuple(t.pk for t in data.get("team") or ()),
            assignee_id=agent.pk if agent else None,
            category_ids=tuple(c.pk for c in data.get("category") or ()),
            jurisdictions=tuple(data.get("jurisdiction") or ()),
            channels=tuple(data.get("channel") or ()),
            flag_kinds=tuple(data.get("flag_kind") or ()),
            tiers=tuple(data.get("tier") or ()),
        )


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Starts on")
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Ends on")
    expected_extra_cases = forms.IntegerField(min_value=0, max_value=1_000_000, label="Expected extra cases")
    categories = forms.ModelMultipleChoiceField(queryset=Category.objects.order_by("position", "name"), required=False)
    note = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise forms.ValidationError("The campaign ends before it starts.")
        if data.get("starts_on") and data.get("ends_on") and (data["ends_on"] - data["starts_on"]).days > MAX_DAYS:
            raise forms.ValidationError(f"A campaign runs at most {MAX_DAYS} days.")
        return data


class HandleTimeForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.order_by("position", "name"))
    minutes = forms.IntegerField(min_value=1, max_value=480)


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a score from 1 to 5.",
            "invalid_choice": "Please choose a score from 1 (very dissatisfied) to 5 (very satisfied).",
        },
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=2000)
