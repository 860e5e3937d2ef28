"""The ingest endpoint's request and answer (presentation only)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import InputSerializer
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
