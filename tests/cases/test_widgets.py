"""The Python-rendered selects write exactly what the project's select template writes."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import JURISDICTIONS, Priority, Status
from cases.models import Category
from cases.widgets import (
    NAME_LABEL_FIELDS,
    USER_LABEL_FIELDS,
    LabelOnlyModelChoiceField,
    LabelOnlyModelMultipleChoiceField,
    QuickSelect,
    QuickSelectMultiple,
)
from people.models import User
from tests.factories import CategoryFactory, UserFactory

GROUPED = [
    ("", "Pick one"),
    ("Money", [("withdrawals", "Withdrawals & <b>payouts</b>"), ("deposits", 'Deposits "in"')]),
    ("card", "Card"),
    (None, "Nothing"),
]


def _pair(field_class, widget, quick_widget, **kwargs):
    class Template(forms.Form):
        field = field_class(widget=widget, **kwargs)

    class Quick(forms.Form):
        field = field_class(widget=quick_widget, **kwargs)

    return Template, Quick


@pytest.mark.parametrize(
    ("choices", "data"),
    [
        (Priority.choices, {"field": "high"}),
        (Priority.choices, {}),
        (GROUPED, {"field": "deposits"}),
        (GROUPED, {"field": "nothing-like-this"}),
        ([("a", "Same"), ("a", "Same again")], {"field": "a"}),
    ],
)
def test_a_select_renders_as_the_template_does(choices, data):
    template, quick = _pair(
        forms.ChoiceField,
        forms.Select(attrs={"class": "x", "data-on": True, "data-off": False, "title": 'a "b" <c>'}),
        QuickSelect(attrs={"class": "x", "data-on": True, "data-off": False, "title": 'a "b" <c>'}),
        choices=choices,
        required=False,
    )

    assert str(quick(data or None)["field"]) == str(template(data or None)["field"])


@pytest.mark.parametrize("data", [{"field": ["US-CA", "AU-NSW", "US-NY"]}, {"field": []}, None])
def test_a_multiple_select_renders_as_the_template_does(data):
    template, quick = _pair(
        forms.MultipleChoiceField, forms.SelectMultiple, QuickSelectMultiple, choices=JURISDICTIONS, required=False
    )

    assert str(quick(data)["field"]) == str(template(data)["field"])


def test_a_required_select_keeps_the_templates_required_attribute():
    template, quick = _pair(forms.ChoiceField, forms.Select, QuickSelect, choices=[("", "—"), *Status.choices])

    rendered = str(quick(initial={"field": "open"})["field"])
    assert rendered == str(template(initial={"field": "open"})["field"])
    assert " required" in rendered


@pytest.mark.django_db
def test_model_choices_render_as_djangos_and_load_only_their_labels():
    UserFactory(first_name="Ana", last_name="Reyes", username="ana")
    UserFactory(first_name="", last_name="", username="<nobody>")

    class Template(forms.Form):
        field = forms.ModelChoiceField(queryset=User.objects.order_by("username"), empty_label="Anyone")

    class Quick(forms.Form):
        field = LabelOnlyModelChoiceField(
            queryset=User.objects.order_by("username"), empty_label="Anyone", label_fields=USER_LABEL_FIELDS
        )

    chosen = User.objects.get(username="ana").pk
    with CaptureQueriesContext(connection) as captured:
        rendered = str(Quick(initial={"field": chosen})["field"])

    assert rendered == str(Template(initial={"field": chosen})["field"])
    assert "Ana Reyes" in rendered and "&lt;nobody&gt;" in rendered
    [query] = captured.captured_queries
    assert '"people_user"."password"' not in query["sql"]
    assert "CURSOR" not in query["sql"]


@pytest.mark.django_db
def test_model_choices_without_an_empty_option_skip_the_first_row_read():
    CategoryFactory(code="kyc", name="KYC")
    CategoryFactory(code="card", name="Card")

    class Template(forms.Form):
        field = forms.ModelMultipleChoiceField(queryset=Category.objects.all(), required=False)
        needed = forms.ModelMultipleChoiceField(queryset=Category.objects.all())
        single = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)

    class Quick(forms.Form):
        field = LabelOnlyModelMultipleChoiceField(
            queryset=Category.objects.all(), required=False, label_fields=NAME_LABEL_FIELDS
        )
        needed = LabelOnlyModelMultipleChoiceField(queryset=Category.objects.all(), label_fields=NAME_LABEL_FIELDS)
        single = LabelOnlyModelChoiceField(queryset=Category.objects.all(), empty_label=None, label_fields=("name",))

    chosen = Category.objects.get(code="card").pk
    data = {"field": [chosen], "needed": [chosen], "single": chosen}
    with CaptureQueriesContext(connection) as template_queries:
        expected = [str(Template(data)[name]) for name in ("field", "needed", "single")]
    with CaptureQueriesContext(connection) as quick_queries:
        rendered = [str(Quick(data)[name]) for name in ("field", "needed", "single")]

    assert rendered == expected
    # A required multiple select keeps its required attribute.
    assert " required" in rendered[1]
    # Django reads the first category once more to decide that a <select> with no empty option
    # is not "required"; the answer is known without it.
    assert len(quick_queries.captured_queries) == len(template_queries.captured_queries) - 1
