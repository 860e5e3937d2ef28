"""The idempotent ingest endpoint for tickets from the upstream helpdesk."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from api.conditional import etag
from api.exceptions import api_exception_handler
from api.schema import ETAG, WRITE, errors
from api.views import ApiView
from cases.api.presenters import case_row, case_row_from_instance
from cases.api.serializers import CaseSerializer
from cases.api.views import category_by_code, team_for_new_case
from cases.errors import CaseError
from intake.serializers import TicketBatchInput, TicketBatchResult, TicketInput
from intake.services import IntakeResult, intake_ticket
from people.roles import can_work_cases

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def require_intake(user) -> None:
    if not can_work_cases(user):
        raise PermissionDenied("Only integrations and people who work cases can open them.")


class Lookups:
    """The categories and teams a request names, each read once however many tickets name it."""

    def __init__(self, user):
        self.user = user
        self.categories: dict = {}
        self.teams: dict = {}

    def category(self, code: str):
        if code not in self.categories:
            self.categories[code] = category_by_code(code)
        return self.categories[code]

    def team(self, slug: str | None):
        if slug not in self.teams:
            self.teams[slug] = team_for_new_case(self.user, slug)
        return self.teams[slug]


def ingest_one(user, payload, *, key: str, lookups: Lookups) -> IntakeResult:
    """Validate one ticket and open its case (or find the one it opened before)."""
    serializer = TicketInput(data=payload)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return intake_ticket(
        actor=user,
        source=data["external_system"],
        external_id=data["external_id"],
        idempotency_key=key,
        payload=payload,
        customer=data["customer"],
        subject=data["subject"],
        body=data["body"],
        channel=data["channel"],
        category=lookups.category(data["category"]),
        team=lookups.team(data.get("team")),
        priority=data["priority"],
        received_at=data.get("received_at"),
    )


def answer_for(result: IntakeResult) -> dict:
    """The submitter always gets the summary of the case its own ticket became, even once
    routing has moved it to a team the integration does not belong to. A new case is answered
    from the objects that made it (routing runs after commit, so nothing else has changed it
    yet); a repeat reads the case as it is now."""
    present = case_row_from_instance if result.created else case_row
    return present(result.case, now=timezone.now())


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
        require_intake(user)
        key = request.headers.get("Idempotency-Key", "")
        if key and not _KEY.match(key):
            raise ValidationError({"Idempotency-Key": ["Use 1-200 printable ASCII characters without spaces."]})
        result = ingest_one(user, request.data, key=key, lookups=Lookups(user))
        body = answer_for(result)
        return Response(
            body,
            status=201 if result.created else 200,
            headers={"ETag": etag(body["reference"], body["version"])},
        )


class TicketBatchIntakeView(ApiView):
    @extend_schema(
        operation_id="intake_ticket_batch",
        summary="Ingest up to 100 tickets in one request (each idempotent on its own)",
        description="Each ticket is handled exactly as by the single ingest endpoint, in a transaction of "
        "its own: one case per (external_system, external_id), the same ticket again answers with the case "
        "it opened, a different body under a used external id is refused (409). One ticket's refusal never "
        "stops the others: the answer lists, in order, each ticket's status (201 opened, 200 already known, "
        "400/403/409 refused, with the same error body as the single endpoint) and counts. The batch itself "
        "is refused whole (400) only when it is not a list of 1 to 100 tickets. Idempotency-Key is not "
        "used here: each ticket's external id identifies it.",
        request=TicketBatchInput,
        responses={200: TicketBatchResult, **errors(*WRITE)},
    )
    def post(self, request):
        user = request.user
        require_intake(user)
        if "Idempotency-Key" in request.headers:
            raise ValidationError({"Idempotency-Key": ["A batch is idempotent ticket by ticket, on external ids."]})
        envelope = TicketBatchInput(data=request.data)
        envelope.is_valid(raise_exception=True)
        lookups = Lookups(user)
        results = []
        for index, payload in enumerate(envelope.validated_data["tickets"]):
            external_id = payload.get("external_id") if isinstance(payload, dict) else None
            try:
                result = ingest_one(user, payload, key="", lookups=lookups)
            except (APIException, CaseError, PermissionDenied) as exc:
                refusal = api_exception_handler(exc, {})
                item = {"index": index, "external_id": external_id, "status": refusal.status_code,
                        "case": None, "error": refusal.data}  # fmt: skip
            else:
                item = {"index": index, "external_id": external_id, "status": 201 if result.created else 200,
                        "case": answer_for(result), "error": None}  # fmt: skip
            results.append(item)
        counts = {
            "opened": sum(item["status"] == 201 for item in results),
            "known": sum(item["status"] == 200 for item in results),
            "refused": sum(item["status"] >= 400 for item in results),
        }
        return Response({**counts, "results": results})
