"""The ingest endpoint's request and answer (presentation only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import ErrorSerializer, InputSerializer
from cases.api.serializers import CaseSerializer
from cases.choices import JURISDICTIONS, Channel, Priority, Tier


class IntakeCustomerInput(InputSerializer):
    account_number = serializers.CharField(max_length=20)
    full_name = serializers.CharField(max_length=200, required=False)
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    jurisdiction = serializers.ChoiceField(choices=JURISDICTIONS, required=False)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    language = serializers.CharField(max_length=8, required=False)


class TicketInput(InputSerializer):
    external_system = serializers.SlugField(max_length=50, help_text="Which upstream system, e.g. 'zendesk'.")
    external_id = serializers.CharField(max_length=200, help_text="The ticket's id in that system.")
    customer = IntakeCustomerInput(help_text="An existing account number, or the details of a new customer.")
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20_000)
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.SlugField(max_length=40)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    team = serializers.SlugField(max_length=50, required=False)
    received_at = serializers.DateTimeField(required=False)


MAX_BATCH = 100


@extend_schema_field(TicketInput(many=True))
class TicketList(serializers.ListField):
    """The batch's tickets, kept as sent: each is validated on its own (``TicketInput``), so one
    bad ticket is refused by itself rather than refusing the batch."""


class TicketBatchInput(InputSerializer):
    tickets = TicketList(child=serializers.JSONField(), min_length=1, max_length=MAX_BATCH)


class TicketBatchItem(serializers.Serializer):
    index = serializers.IntegerField(help_text="The ticket's position in the request, from 0.")
    external_id = serializers.JSONField(allow_null=True, help_text="The ticket's external id as sent.")
    status = serializers.IntegerField(help_text="201 opened, 200 already known, 4xx refused.")
    case = CaseSerializer(allow_null=True, help_text="The case the ticket is (null when refused).")
    error = ErrorSerializer(allow_null=True, help_text="Why it was refused (null otherwise).")


class TicketBatchResult(serializers.Serializer):
    opened = serializers.IntegerField()
    known = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = TicketBatchItem(many=True)
