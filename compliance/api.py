"""Flag and obligation endpoints: raise, submit, sign off, correct facts; read obligations.

Four-eyes and every other rule is enforced by compliance.services, exactly as on the pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.conditional import check_version, etag, if_match_version
from api.pagination import ApiCursorPagination
from api.schema import ETAG, IF_MATCH, WRITE, errors
from api.views import ApiView
from cases.access import get_case_for_user
from cases.api.views import REFERENCE, fetch_case
from compliance import services
from compliance.filters import FlagReviewFilter
from compliance.models import DecisionReason, FlagDecision, Obligation, RegulatoryFlag
from compliance.restricted import NEUTRAL_STATE, REFER_REASON, can_read_restricted
from compliance.selectors import flag_list_for_review, flags_of_case
from compliance.serializers import (
    FlagDetailSerializer,
    FlagFactsInput,
    FlagRaiseInput,
    FlagSerializer,
    FlagSignOffInput,
    ObligationSerializer,
)
from people.roles import ORG_WIDE_READERS, role_of

FLAG_ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _tag(flag: RegulatoryFlag) -> str:
    return etag(f"flag.{flag.pk}", flag.version)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def flag_for(request, pk: int) -> RegulatoryFlag:
    """A flag whose case the caller may see (404 otherwise, as the pages)."""
    flag = RegulatoryFlag.objects.select_related("case", "case__customer", "raised_by").filter(pk=pk).first()
    if flag is None:
        raise Http404("No such flag.")
    get_case_for_user(request.user, flag.case.reference)
    return flag


def _detail(flag_id: int, status_code: int = 200, *, viewer) -> Response:
    flag = RegulatoryFlag.objects.select_related("case", "raised_by").get(pk=flag_id)
    flag.obligations_out = list(flag.obligations.select_related("case").order_by("due_at", "id"))
    flag.decisions_out = list(
        FlagDecision.objects.filter(flag=flag, voided_at__isnull=True).select_related("reviewer", "reason")
    )
    if not can_read_restricted(viewer):
        # A referral to the FIU reads as the neutral state outside the FIU (no tipping off).
        for decision in flag.decisions_out:
            if decision.reason.code == REFER_REASON:
                decision.reason = DecisionReason(code="specialist_team", label=NEUTRAL_STATE)
    return Response(FlagDetailSerializer(flag).data, status=status_code, headers={"ETag": _tag(flag)})


class CaseFlagsView(ApiView):
    @extend_schema(
        operation_id="flags_of_case",
        summary="A case's regulatory flags",
        parameters=[REFERENCE],
        responses={200: FlagSerializer(many=True), **errors(404)},
    )
    def get(self, request, reference: str):
        case = fetch_case(request.user, reference)
        return Response(FlagSerializer(flags_of_case(case=case), many=True).data)

    @extend_schema(
        operation_id="flags_raise",
        summary="Raise a regulatory flag on a case",
        description="Records the facts the kind needs and starts its regulatory clocks (e.g. a CFPB complaint's "
        "15-day response). Problems by fact come back in 'problems'.",
        parameters=[REFERENCE, ETAG],
        request=FlagRaiseInput,
        responses={201: FlagDetailSerializer, **errors(*WRITE, 404)},
    )
    def post(self, request, reference: str):
        case = fetch_case(request.user, reference, for_write=True)
        data = _valid(FlagRaiseInput, request)
        flag = services.flag_raise(actor=request.user, case=case, kind=data["kind"], facts=data["facts"])
        return _detail(flag.pk, status_code=201, viewer=request.user)


class FlagReviewListView(ApiView):
    pagination_class = ApiCursorPagination
    cursor_ordering = ("submitted_at", "id")

    @extend_schema(
        operation_id="flags_review_queue",
        summary="Flags awaiting review (compliance, FIU, audit)",
        description="Filtered with the review page's FilterSet (FlagReviewFilter), oldest submission first.",
        parameters=[
            OpenApiParameter("kind", str, many=True, explode=True),
            OpenApiParameter("country", str, enum=["US", "AU"]),
            OpenApiParameter("deadline", str, enum=["missed", "2d", "7d", "none"]),
            OpenApiParameter("stage", str, enum=["undecided", "second"]),
            OpenApiParameter("mine", bool, description="Only flags the caller is not ruled out of deciding."),
            OpenApiParameter("submitted_after", OpenApiTypes.DATE),
            OpenApiParameter("submitted_before", OpenApiTypes.DATE),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: FlagSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        if role_of(request.user) not in ORG_WIDE_READERS:
            raise PermissionDenied("The review queue is for compliance, the FIU and audit.")
        filterset = FlagReviewFilter(request.query_params, queryset=flag_list_for_review(user=request.user),
                                     request=request)  # fmt: skip
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(FlagSerializer(page, many=True).data)


class FlagDetailView(ApiView):
    @extend_schema(
        operation_id="flags_read",
        summary="Read a flag with its obligations and standing sign-offs",
        parameters=[FLAG_ID, ETAG],
        responses={200: FlagDetailSerializer, **errors(404)},
    )
    def get(self, request, pk: int):
        return _detail(flag_for(request, pk).pk, viewer=request.user)


class FlagSubmitView(ApiView):
    @extend_schema(
        operation_id="flags_submit",
        summary="Submit a flag for compliance review (freezes the evidence)",
        parameters=[FLAG_ID, IF_MATCH, ETAG],
        request=None,
        responses={200: FlagDetailSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, pk: int):
        flag = flag_for(request, pk)
        check_version(flag.version, if_match_version(request, f"flag.{flag.pk}"), name=f"flag.{flag.pk}")
        services.flag_submit(actor=request.user, flag=flag)
        return _detail(flag.pk, viewer=request.user)


class FlagSignOffView(ApiView):
    @extend_schema(
        operation_id="flags_sign_off",
        summary="Sign a flag off (four-eyes)",
        description="The reviewer must not have raised, submitted or worked the case; 'seen_hash' must be the "
        "evidence_hash they read (409 if the evidence moved since). Some decisions need a second reviewer.",
        parameters=[FLAG_ID, IF_MATCH, ETAG],
        request=FlagSignOffInput,
        responses={200: FlagDetailSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, pk: int):
        flag = flag_for(request, pk)
        check_version(flag.version, if_match_version(request, f"flag.{flag.pk}"), name=f"flag.{flag.pk}")
        data = _valid(FlagSignOffInput, request)
        reason = DecisionReason.objects.filter(code=data["reason"]).first()
        if reason is None:
            raise ValidationError({"reason": [f"{data['reason']!r} is not a decision reason code."]})
        services.flag_sign_off(
            actor=request.user,
            flag=flag,
            reason=reason,
            seen_hash=data["seen_hash"],
            note=data["note"],
            amount=data["amount"],
        )
        return _detail(flag.pk, viewer=request.user)


class FlagFactsView(ApiView):
    @extend_schema(
        operation_id="flags_correct_facts",
        summary="Correct a flag's facts (people working the case)",
        description="Voids standing sign-offs; a trigger date a clock runs from is compliance's to correct (403).",
        parameters=[FLAG_ID, IF_MATCH, ETAG],
        request=FlagFactsInput,
        responses={200: FlagDetailSerializer, **errors(*WRITE, 404, 412)},
    )
    def post(self, request, pk: int):
        flag = flag_for(request, pk)
        check_version(flag.version, if_match_version(request, f"flag.{flag.pk}"), name=f"flag.{flag.pk}")
        data = _valid(FlagFactsInput, request)
        services.flag_update_facts(actor=request.user, flag=flag, facts=data["facts"], reason=data["reason"])
        return _detail(flag.pk, viewer=request.user)


class CaseObligationsView(ApiView):
    @extend_schema(
        operation_id="obligations_of_case",
        summary="A case's regulatory obligations",
        parameters=[REFERENCE],
        responses={200: ObligationSerializer(many=True), **errors(404)},
    )
    def get(self, request, reference: str):
        case = fetch_case(request.user, reference)
        rows = Obligation.objects.filter(case=case).select_related("case").order_by("due_at", "id")
        return Response(ObligationSerializer(rows, many=True).data)


class ObligationListView(ApiView):
    pagination_class = ApiCursorPagination
    cursor_ordering = ("due_at", "id")

    @extend_schema(
        operation_id="obligations_open",
        summary="Open regulatory obligations, nearest deadline first (compliance, FIU, audit)",
        parameters=[
            OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="Only those due before this instant."),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: ObligationSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        if role_of(request.user) not in ORG_WIDE_READERS:
            raise PermissionDenied("Open obligations across cases are for compliance, the FIU and audit.")
        rows = Obligation.objects.filter(satisfied_at__isnull=True).select_related("case")
        raw = request.query_params.get("due_before")
        if raw:
            from django.utils.dateparse import parse_datetime

            try:
                due_before = parse_datetime(raw)
            except ValueError:
                due_before = None
            if due_before is None:
                raise ValidationError({"due_before": ["Give an ISO 8601 date and time."]})
            if timezone.is_naive(due_before):
                due_before = timezone.make_aware(due_before)
            rows = rows.filter(due_at__lt=due_before)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ObligationSerializer(page, many=True).data)
