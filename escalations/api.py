"""Escalation endpoints: request (on a case), read, accept, return. Services decide who may."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.conditional import etag, if_match_version, with_if_match
from api.schema import ETAG, IF_MATCH, WRITE, errors
from api.views import ApiView
from cases.api.views import REFERENCE, fetch_case
from escalations import services
from escalations.errors import EscalationStale
from escalations.models import Escalation, ReasonCode
from escalations.selectors import escalation_get_for_user, escalations_of_case
from escalations.serializers import (
    EscalationAcceptInput,
    EscalationRequestInput,
    EscalationReturnInput,
    EscalationSerializer,
)
from people.models import Team, User

ESCALATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _tag(escalation: Escalation) -> str:
    return etag(f"escalation.{escalation.pk}", escalation.version)


def _answer(escalation: Escalation, status_code: int = 200) -> Response:
    escalation = Escalation.objects.select_related(
        "case", "from_team", "to_team", "reason", "owner", "requested_by"
    ).get(pk=escalation.pk)
    return Response(EscalationSerializer(escalation).data, status=status_code, headers={"ETag": _tag(escalation)})


def _get(request, pk: int) -> Escalation:
    escalation = escalation_get_for_user(user=request.user, pk=pk)
    if escalation is None:
        raise Http404("No such escalation.")
    return escalation


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _stale_as_412(call, escalation: Escalation):
    """The escalation's own stale error is the same precondition failure as a case's."""
    from api.exceptions import PreconditionFailed

    try:
        return with_if_match(call, name=f"escalation.{escalation.pk}")
    except EscalationStale as exc:
        raise PreconditionFailed(exc.message, current_etag="") from exc


class CaseEscalationsView(ApiView):
    @extend_schema(
        operation_id="escalations_of_case",
        summary="Every escalation hop of a case",
        parameters=[REFERENCE],
        responses={200: EscalationSerializer(many=True), **errors(404)},
    )
    def get(self, request, reference: str):
        case = fetch_case(request.user, reference)
        return Response(EscalationSerializer(escalations_of_case(case=case).select_related("case"), many=True).data)

    @extend_schema(
        operation_id="escalations_request",
        summary="Escalate a case to another team",
        parameters=[REFERENCE, ETAG],
        request=EscalationRequestInput,
        responses={201: EscalationSerializer, **errors(*WRITE, 404, 409)},
    )
    def post(self, request, reference: str):
        case = fetch_case(request.user, reference, for_write=True)
        data = _valid(EscalationRequestInput, request)
        to_team = Team.objects.filter(slug=data["to_team"]).first()
        if to_team is None:
            raise ValidationError({"to_team": [f"No team has the slug {data['to_team']!r}."]})
        reason = ReasonCode.objects.filter(code=data["reason"]).first()
        if reason is None:
            raise ValidationError({"reason": [f"{data['reason']!r} is not a reason code."]})
        escalation = services.escalation_request(
            actor=request.user,
            case=case,
            to_team=to_team,
            reason=reason,
            urgency=data.get("urgency"),
            note=data["note"],
        )
        return _answer(escalation, status_code=201)


class EscalationDetailView(ApiView):
    @extend_schema(
        operation_id="escalations_read",
        summary="Read an escalation",
        parameters=[ESCALATION_ID, ETAG],
        responses={200: EscalationSerializer, **errors(404)},
    )
    def get(self, request, pk: int):
        return _answer(_get(request, pk))


class EscalationAcceptView(ApiView):
    @extend_schema(
        operation_id="escalations_accept",
        summary="Accept an escalation (the receiving team)",
        description="The case moves to the receiving team, owned by the caller (or, for a lead, the named owner).",
        parameters=[ESCALATION_ID, IF_MATCH, ETAG],
        request=EscalationAcceptInput,
        responses={200: EscalationSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, pk: int):
        escalation = _get(request, pk)
        expected = if_match_version(request, f"escalation.{escalation.pk}")
        data = _valid(EscalationAcceptInput, request)
        owner = None
        if data["owner"]:
            owner = User.objects.filter(username=data["owner"]).first()
            if owner is None:
                raise ValidationError({"owner": [f"No one has the username {data['owner']!r}."]})
        _stale_as_412(
            lambda: services.escalation_accept(
                actor=request.user, escalation=escalation, owner=owner, expected_version=expected
            ),
            escalation,
        )
        return _answer(escalation)


class EscalationReturnView(ApiView):
    @extend_schema(
        operation_id="escalations_return",
        summary="Return an escalation to the team that sent it",
        parameters=[ESCALATION_ID, IF_MATCH, ETAG],
        request=EscalationReturnInput,
        responses={200: EscalationSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, pk: int):
        escalation = _get(request, pk)
        expected = if_match_version(request, f"escalation.{escalation.pk}")
        data = _valid(EscalationReturnInput, request)
        _stale_as_412(
            lambda: services.escalation_return(
                actor=request.user,
                escalation=escalation,
                outcome=data["outcome"],
                guidance=data["guidance"],
                expected_version=expected,
            ),
            escalation,
        )
        return _answer(escalation)
