"""Shared serializer pieces: strict input (unknown fields are errors) and the error body."""

from __future__ import annotations

from rest_framework import serializers


class InputSerializer(serializers.Serializer):
    """Every request body: a JSON object whose every key is a declared field.

    A misspelt field ("assigne") is an error rather than silently ignored, so a client learns
    at once that its request did not say what it meant.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    error = serializers.CharField(help_text="A stable code to switch on, e.g. 'stale_version', 'invalid'.")
    detail = serializers.JSONField(help_text="What went wrong: a message, or messages by field for 'invalid'.")
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For flag errors: the problems by fact.",
    )
    current_version = serializers.IntegerField(required=False)
