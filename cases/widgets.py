"""Selects that write their HTML in Python, and model choices that load only their labels.

The queue's filter sidebar and bulk bar and the case page's forms render a dozen selects, the
longest with 60+ options (jurisdictions, assignees); through template nodes and Django's
per-option dicts they cost 10-20 ms of a queue page. The markup is exactly what
``templates/django/forms/widgets/select.html`` renders (tests/cases/test_widgets.py compares
the two), so CSS, htmx and tests see no difference.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import conditional_escape, strip_spaces_between_tags
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its bare name.
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        elif value is not False:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


class QuickSelectMixin:
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        values = set(self.format_value(value))
        parts = [f'<select name="{conditional_escape(name)}"{_attrs(final_attrs)}>']
        has_selected = False
        # ChoiceWidget.optgroups: a (group name, [choices]) pair is an <optgroup>; a single select
        # marks only the first option whose value matches.
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, (list, tuple))
            choices = option_label if grouped else [(option_value, option_label)]
            if grouped and option_value:
                parts.append(f'<optgroup label="{conditional_escape(option_value)}">')
            for subvalue, sublabel in choices:
                selected = (not has_selected or self.allow_multiple_selected) and str(subvalue) in values
                has_selected |= selected
                parts.append(
                    f'<option value="{conditional_escape(subvalue)}"{" selected" if selected else ""}>'
                    f"{conditional_escape(sublabel)}</option>"
                )
            if grouped and option_value:
                parts.append("</optgroup>")
        parts.append("</select>")
        # The template renders inside {% spaceless %}.
        return mark_safe(strip_spaces_between_tags("".join(parts)).strip())  # noqa: S308 - every part escaped above

    def use_required_attribute(self, initial) -> bool:
        choices = self.choices
        single = not self.allow_multiple_selected
        if single and isinstance(choices, ModelChoiceIterator) and choices.field.empty_label is None:
            # Select asks whether its first option is an empty one, which for model choices with
            # no empty label reads the first row from the database; a saved row's key is never
            # empty, so the answer is no without asking.
            return False
        return super().use_required_attribute(initial)


class QuickSelect(QuickSelectMixin, forms.Select):
    pass


class QuickSelectMultiple(QuickSelectMixin, forms.SelectMultiple):
    pass


class LabelOnlyChoiceIterator(ModelChoiceIterator):
    """Model choices read with only the columns their label needs (the field's ``label_fields``),
    in one round trip.

    Django's iterator reads every column through a server-side cursor (DECLARE, FETCH, CLOSE on
    PostgreSQL): three round trips and a whole model per option, for a list of names.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset
        label_fields = getattr(self.field, "label_fields", ())
        if label_fields:
            queryset = queryset.only(*label_fields, *([self.field.to_field_name] if self.field.to_field_name else []))
        for obj in queryset:
            yield self.choice(obj)


class LabelOnlyMixin:
    """A model choice field whose options load only ``label_fields`` and render in Python."""

    iterator = LabelOnlyChoiceIterator

    def __init__(self, *args, label_fields: tuple[str, ...] = (), **kwargs):
        self.label_fields = label_fields
        multiple = isinstance(self, forms.ModelMultipleChoiceField)
        kwargs.setdefault("widget", QuickSelectMultiple if multiple else QuickSelect)
        super().__init__(*args, **kwargs)


class LabelOnlyModelChoiceField(LabelOnlyMixin, forms.ModelChoiceField):
    pass


class LabelOnlyModelMultipleChoiceField(LabelOnlyMixin, forms.ModelMultipleChoiceField):
    pass


# What ``str()`` reads: people.models.User.__str__ (full name, else username); Team, Category.
USER_LABEL_FIELDS = ("first_name", "last_name", "username")
NAME_LABEL_FIELDS = ("name",)
