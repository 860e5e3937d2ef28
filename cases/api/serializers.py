"""Input and output shapes of the case endpoints. Presentation only: what a field is called and
how it is written; every decision (access, masking, rules) is made by the callers' services,
selectors and ``cases.masking``."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import InputSerializer
from cases.choices import Channel, EventKind, Priority, SlaMetric, SlaState, Status


class TeamRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PersonRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class CustomerSummarySerializer(serializers.Serializer):
    """What a list row shows of the customer: no PII beyond the name the pages show."""

    account_number = serializers.CharField()
    full_name = serializers.CharField()
    jurisdiction = serializers.CharField()
    tier = serializers.CharField()


class CustomerSerializer(CustomerSummarySerializer):
    """The customer as the case page shows them: PII masked unless the viewer holds a reveal
    (the values come from ``cases.masking.customer_pii_for``, passed in as ``pii``)."""

    email = serializers.CharField(source="pii.email")
    phone = serializers.CharField(source="pii.phone")
    date_of_birth = serializers.CharField(source="pii.date_of_birth", help_text="The year only, unless revealed.")
    government_id_last4 = serializers.CharField(source="pii.government_id_last4")
    language = serializers.CharField()
    is_older_adult = serializers.BooleanField()


class RunningTimerSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=SlaMetric.choices)
    due_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=SlaState.choices)


class CaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = CategoryRefSerializer()
    team = TeamRefSerializer()
    assignee = PersonRefSerializer(allow_null=True)
    customer = CustomerSummarySerializer()
    received_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    sla_due_at = serializers.DateTimeField(allow_null=True, help_text="The earliest due time of running SLA timers.")
    running_timers = RunningTimerSerializer(many=True, source="timers_out", help_text="The case's running SLA timers.")
    version = serializers.IntegerField(help_text="Rises on every change; the ETag carries it.")


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=EventKind.choices)
    author = serializers.CharField(help_text="The customer's name, a person's name, or 'System'.")
    internal = serializers.BooleanField(source="is_internal", help_text="Never shown to the customer.")
    body = serializers.CharField(allow_blank=True)
    data = serializers.DictField(
        help_text="The structured facts of the entry, e.g. {'from': 'open', 'to': 'resolved'}."
    )
    created_at = serializers.DateTimeField()


class CaseDetailSerializer(CaseSerializer):
    customer = CustomerSerializer()
    language = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    reopen_count = serializers.IntegerField()
    timeline = EventSerializer(many=True, help_text="Every entry, oldest first.")


class TimerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    metric = serializers.ChoiceField(choices=SlaMetric.choices)
    state = serializers.ChoiceField(choices=SlaState.choices, source="state_now")
    policy = serializers.CharField(source="policy_version.policy.name")
    policy_version = serializers.IntegerField(source="policy_version.number")
    calendar = serializers.CharField(source="calendar_version.calendar.name", allow_null=True, default=None)
    target_minutes = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    paused_minutes = serializers.IntegerField()
    met_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


# --- input -------------------------------------------------------------------------------------


class CaseCreateInput(InputSerializer):
    customer = serializers.CharField(max_length=20, help_text="The customer's account number.")
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20_000, help_text="The customer's first message.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.SlugField(max_length=40, help_text="A category code, e.g. 'withdrawals'.")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    team = serializers.SlugField(
        max_length=50, required=False, help_text="A team slug of the caller's; their first team if left out."
    )
    received_at = serializers.DateTimeField(required=False, help_text="When the customer wrote; now if left out.")


class MessageInput(InputSerializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False)


class StatusInput(InputSerializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AssignInput(InputSerializer):
    assignee = serializers.CharField(
        max_length=150, allow_null=True, help_text="The username of a member of the case's team, or null."
    )
