"""Input and output shapes of the flag and obligation endpoints (presentation only)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import InputSerializer
from cases.api.serializers import PersonRefSerializer
from compliance.choices import FlagKind, FlagStatus


class ObligationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="case.reference")
    flag = serializers.IntegerField(source="flag_id")
    rule_code = serializers.CharField()
    rule_name = serializers.CharField()
    citation = serializers.CharField()
    jurisdiction = serializers.CharField()
    triggered_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    satisfied_by = serializers.CharField(help_text="The step that meets it, e.g. 'company_response_sent'.")
    satisfied_at = serializers.DateTimeField(allow_null=True)
    warned_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


class DecisionSerializer(serializers.Serializer):
    reviewer = PersonRefSerializer()
    reason = serializers.CharField(source="reason.code")
    reason_label = serializers.CharField(source="reason.label")
    note = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    decided_at = serializers.DateTimeField()


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="case.reference")
    kind = serializers.ChoiceField(choices=FlagKind.choices)
    status = serializers.ChoiceField(choices=FlagStatus.choices)
    facts = serializers.DictField()
    raised_by = PersonRefSerializer()
    raised_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    evidence_hash = serializers.CharField(
        allow_blank=True, help_text="The frozen evidence's digest; a sign-off names it as seen_hash."
    )
    required_approvals = serializers.IntegerField()
    signed_off_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class FlagDetailSerializer(FlagSerializer):
    obligations = ObligationSerializer(many=True, source="obligations_out")
    decisions = DecisionSerializer(many=True, source="decisions_out", help_text="Sign-offs that stand.")


class FlagRaiseInput(InputSerializer):
    kind = serializers.ChoiceField(choices=FlagKind.choices)
    facts = serializers.DictField(help_text="What the kind requires, e.g. {'regulator': 'cfpb', 'received_date': "
                                  "'2026-11-02'} for a regulator complaint.")  # fmt: skip


class FlagFactsInput(InputSerializer):
    facts = serializers.DictField()
    reason = serializers.CharField(max_length=1_000, help_text="Why the facts change.")


class FlagSignOffInput(InputSerializer):
    reason = serializers.SlugField(max_length=50, help_text="A decision reason code for the flag's kind.")
    seen_hash = serializers.CharField(max_length=64, help_text="The evidence_hash the reviewer read.")
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None, min_value=0
    )
