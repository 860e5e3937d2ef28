"""The idempotent ingest endpoint for tickets from the upstream helpdesk."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.conditional import etag
from api.schema import ETAG, WRITE, errors
from api.views import ApiView
from cases.api.presenters import case_row, case_row_from_instance
from cases.api.serializers import CaseSerializer
from cases.api.views import category_by_code, team_for_new_case
from intake.serializers import TicketInput
from intake.services import intake_ticket
from people.roles import can_work_cases

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class TicketIntakeView(ApiView):
    @extend_schema(
        operation_id="intake_ticket",
        summary="Ingest a ticket from an upstream system (idempotent)",
        description="One case per (external_system, external_id). Sending the same request again (same "
        "Idempotency-Key, or same external id) answers 200 with the case the first one opened (201). "
        "Reusing a key or an external id with a different body answers 409.",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                description="A unique value per ticket delivery attempt series (printable ASCII, ≤ 200).",
            ),
            ETAG,
        ],
        request=TicketInput,
        responses={
            201: OpenApiResponse(CaseSerializer, description="A case was opened."),
            200: OpenApiResponse(CaseSerializer, description="The same request again."),
            **errors(*WRITE, 409),
        },
    )  # fmt: skip
    def post(self, request):
        user = request.user
        if not can_work_cases(user):
            raise PermissionDenied("Only integrations and people who work cases can open them.")
        key = request.headers.get("Idempotency-Key", "")
        if key and not _KEY.match(key):
            raise ValidationError({"Idempotency-Key": ["Use 1-200 printable ASCII characters without spaces."]})
        serializer = TicketInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = intake_ticket(
            actor=user,
            source=data["external_system"],
            external_id=data["external_id"],
            idempotency_key=key,
            payload=request.data,
            customer=data["customer"],
            subject=data["subject"],
            body=data["body"],
            channel=data["channel"],
            category=category_by_code(data["category"]),
            team=team_for_new_case(user, data.get("team")),
            priority=data["priority"],
            received_at=data.get("received_at"),
        )
        # The submitter always gets the summary of the case its own ticket became, even once
        # routing has moved it to a team the integration does not belong to. A new case is
        # answered from the objects that made it (routing runs after commit, so nothing else has
        # changed it yet); a repeat reads the case as it is now.
        now = timezone.now()
        present = case_row_from_instance if result.created else case_row
        body = present(result.case, now=now)
        return Response(
            body,
            status=201 if result.created else 200,
            headers={"ETag": etag(body["reference"], body["version"])},
        )
