from django import forms
from django.contrib import admin

from compliance.choices import FlagKind
from compliance.models import DecisionReason


class DecisionReasonForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        choices=FlagKind.choices, widget=forms.CheckboxSelectMultiple, help_text="Flag kinds this decision may close."
    )

    class Meta:
        model = DecisionReason
        fields = ("code", "label", "kinds", "needs_two_reviewers", "two_reviewers_above", "position", "is_active")


@admin.register(DecisionReason)
class DecisionReasonAdmin(admin.ModelAdmin):
    """The decision taxonomy is configuration, maintained here. A reason is retired by
    deactivating it: decisions already taken keep pointing at it."""

    form = DecisionReasonForm
    list_display = ("label", "code", "needs_two_reviewers", "two_reviewers_above", "is_active", "position")
    list_editable = ("is_active", "position")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
