"""Input and output shapes of the escalation endpoints (presentation only)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import InputSerializer
from cases.api.serializers import PersonRefSerializer, TeamRefSerializer
from escalations.choices import EscalationStatus, ReturnOutcome, Urgency


class ReasonRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class EscalationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="case.reference")
    hop = serializers.IntegerField()
    from_team = TeamRefSerializer()
    to_team = TeamRefSerializer()
    reason = ReasonRefSerializer()
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    status = serializers.ChoiceField(choices=EscalationStatus.choices)
    note = serializers.CharField(allow_blank=True)
    requested_by = PersonRefSerializer(allow_null=True)
    requested_at = serializers.DateTimeField()
    owner = PersonRefSerializer(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    guidance = serializers.CharField(allow_blank=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    ola_due_at = serializers.DateTimeField(help_text="When the receiving team's answer is due (its OLA).")
    version = serializers.IntegerField()


class EscalationRequestInput(InputSerializer):
    to_team = serializers.SlugField(max_length=50, help_text="The slug of the team asked to take the case.")
    reason = serializers.SlugField(max_length=40, help_text="A reason code from the taxonomy.")
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, help_text="The reason's default if left out."
    )
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class EscalationAcceptInput(InputSerializer):
    owner = serializers.CharField(
        max_length=150, required=False, allow_null=True, default=None,
        help_text="Username of the member who takes it (leads only); the caller if left out.",
    )  # fmt: skip


class EscalationReturnInput(InputSerializer):
    outcome = serializers.ChoiceField(choices=ReturnOutcome.choices)
    guidance = serializers.CharField(max_length=5_000, help_text="What the sending team should do next.")
