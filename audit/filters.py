"""The ledger page's filters (one FilterSet for the page and its CSV export)."""

from __future__ import annotations

import django_filters
from django import forms

from audit.models import AuditEvent

# Object types whose rows are about the restricted inbox: shown only to the FIU and auditors.
RESTRICTED_OBJECT_TYPES = ("referral",)


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(method="filter_actor", label="Actor (username, or system)")
    action = django_filters.CharFilter(method="filter_action", label="Action (e.g. flag. or flag.sign_off)")
    object_type = django_filters.CharFilter(field_name="object_type", lookup_expr="exact", label="Object type")
    object_id = django_filters.CharFilter(field_name="object_id", lookup_expr="exact", label="Object id")
    request_id = django_filters.CharFilter(field_name="request_id", lookup_expr="exact", label="Request id")
    occurred = django_filters.DateFromToRangeFilter(
        field_name="occurred_at", widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    before = django_filters.NumberFilter(field_name="id", lookup_expr="lt", widget=forms.HiddenInput)

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_actor(self, queryset, name, value):
        from people.models import User

        value = value.strip()
        if value == "system":
            return queryset.filter(actor__isnull=True)
        # Through the (actor, id) index: the user's id first, one small query.
        user_id = User.objects.filter(username=value).values_list("pk", flat=True).first()
        return queryset.filter(actor_id=user_id) if user_id else queryset.none()

    def filter_action(self, queryset, name, value):
        value = value.strip()
        # "flag." means every flag action; anything else is one action.
        return queryset.filter(action__startswith=value) if value.endswith(".") else queryset.filter(action=value)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            occurred = self.form.cleaned_data.get("occurred")
            if occurred and occurred.start and occurred.stop and occurred.start > occurred.stop:
                self.form.add_error("occurred", "The range ends before it starts.")
                return False
        return valid
