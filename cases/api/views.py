"""Case endpoints: parse (serializer or FilterSet), authorize (cases.access), one service or
selector call, answer. The same rules as the pages because it is the same code underneath."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.conditional import check_version, etag, if_match_version, with_if_match
from api.pagination import ApiCursorPagination
from api.schema import ETAG, IF_MATCH, WRITE, errors
from api.views import ApiView
from cases import services
from cases.access import can_assign_case, get_case_for_user
from cases.api.presenters import (
    DETAIL_COLUMNS,
    LIST_COLUMNS,
    case_detail,
    case_row_from_instance,
    case_rows,
    holds_reveal,
)
from cases.api.serializers import (
    AssignInput,
    CaseCreateInput,
    CaseDetailSerializer,
    CaseSerializer,
    EventSerializer,
    MessageInput,
    StatusInput,
    TimerSerializer,
)
from cases.choices import OPEN_STATUSES
from cases.filters import CaseFilter
from cases.models import Case, Category, Customer
from cases.selectors import case_sla_timers, with_running_timers
from people.models import Team, User
from people.roles import can_read_cases, can_work_cases

# Sorts a cursor can page through: plain columns with the id as tie-breaker. The queue's
# computed sorts (priority rank, breaching soonest) need OFFSET paging, which the page has.
CURSOR_SORTS = {
    "-received": ("-received_at", "-id"),
    "received": ("received_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-reference": ("-reference",),
    "reference": ("reference",),
}


def require_reader(user) -> None:
    if not can_read_cases(user):
        raise PermissionDenied("Your role does not work with case data.")


def case_response(case: Case, *, viewer, status_code: int = 200) -> Response:
    """The case as the list shows it, with its ETag. ``case`` comes from ``fetch_case``
    (relations joined)."""
    body = case_row_from_instance(case, now=timezone.now())
    return Response(body, status=status_code, headers={"ETag": etag(case.reference, case.version)})


def _event_out(event, case: Case):
    if event.kind == "customer_message":
        event.author = case.customer.full_name
    else:
        event.author = str(event.actor) if event.actor_id else "System"
    return event


def fetch_case(user, reference: str, *, for_write: bool = False) -> Case:
    """The case with what its output shows joined in; 404 invisible, 403 read-only."""
    require_reader(user)
    # Unrestricted here: get_case_for_user applies the access rule itself, with the one-case
    # grants (a case escalated to the caller's team) that list queries leave out.
    queryset = with_running_timers(Case.objects.select_related("customer", "category", "team", "assignee"))
    return get_case_for_user(user, reference, for_write=for_write, queryset=queryset)


class CaseCursorPagination(ApiCursorPagination):
    pass


# Query parameters that page through the list rather than filter it.
PAGING_PARAMETERS = frozenset({"cursor", "page_size", "sort"})


def _list_params(request):
    data = request.query_params.copy()
    # Like the queue page: open work unless the request names statuses.
    if "status" not in data:
        data.setlist("status", list(OPEN_STATUSES))
    return data


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Search: a reference, subject words, customer name, e-mail or account."),
    OpenApiParameter(
        "status", str, many=True, description="One or more statuses; open statuses if left out.", explode=True
    ),
    OpenApiParameter("priority", str, many=True, explode=True),
    OpenApiParameter("category", int, many=True, explode=True, description="Category ids."),
    OpenApiParameter("team", int, many=True, explode=True, description="Team ids."),
    OpenApiParameter("assignee", int, description="A user id; 'null' for unassigned."),
    OpenApiParameter("channel", str, many=True, explode=True),
    OpenApiParameter("jurisdiction", str, many=True, explode=True),
    OpenApiParameter("tier", str, many=True, explode=True),
    OpenApiParameter("received_after", OpenApiTypes.DATE),
    OpenApiParameter("received_before", OpenApiTypes.DATE),
    OpenApiParameter("created_after", OpenApiTypes.DATE),
    OpenApiParameter("created_before", OpenApiTypes.DATE),
    OpenApiParameter("sla", str, enum=["breached", "warning", "paused"]),
    OpenApiParameter("sort", str, enum=list(CURSOR_SORTS), description="Default -received (newest first)."),
    OpenApiParameter("cursor", str, description="From the previous page's next/previous link."),
    OpenApiParameter("page_size", int, description="1 to 200; default 50."),
]


class CaseListView(ApiView):
    pagination_class = CaseCursorPagination

    def cursor_ordering(self, request):
        return CURSOR_SORTS[self._sort]

    @extend_schema(
        operation_id="cases_list",
        summary="List and search cases",
        description="The cases the caller may see, filtered with the queue page's FilterSet (CaseFilter), "
        "newest first, in cursor-paginated pages.",
        parameters=LIST_PARAMETERS,
        responses={200: CaseSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        require_reader(request.user)
        queryset = Case.objects.visible_to(request.user)
        if set(request.query_params) <= PAGING_PARAMETERS:
            # Nothing to filter on: the FilterSet would only apply its default (open cases), and
            # building it (a form class per request, deep copies of every filter) cost more
            # than the page's query. tests/api/test_cases.py checks both ways give the same page.
            sort = request.query_params.get("sort") or "-received"
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        else:
            filterset = CaseFilter(_list_params(request), queryset=queryset, request=request)
            if not filterset.is_valid():
                raise ValidationError(filterset.errors)
            sort = filterset.form.cleaned_data.get("sort") or "-received"
            queryset = filterset.qs
        if sort not in CURSOR_SORTS:
            raise ValidationError({"sort": [f"Choose one of {', '.join(CURSOR_SORTS)} (cursor pages)."]})
        self._sort = sort
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset.values(*LIST_COLUMNS), request, view=self)
        return paginator.get_paginated_response(case_rows(page, now=timezone.now()))

    @extend_schema(
        operation_id="cases_create",
        summary="Open a case",
        description="Opens a case for an existing customer in one of the caller's teams; SLA timers start and "
        "routing runs after commit.",
        parameters=[ETAG],
        request=CaseCreateInput,
        responses={201: CaseSerializer, **errors(*WRITE, 404)},
    )
    def post(self, request):
        data = _valid(CaseCreateInput, request)
        user = request.user
        if not can_work_cases(user):
            raise PermissionDenied("Only people who work cases can open them.")
        team = team_for_new_case(user, data.get("team"))
        customer = Customer.objects.filter(account_number=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": [f"No customer has the account number {data['customer']!r}."]})
        category = category_by_code(data["category"])
        case = services.case_create(
            actor=user,
            customer=customer,
            subject=data["subject"],
            body=data["body"],
            channel=data["channel"],
            category=category,
            team=team,
            priority=data["priority"],
            received_at=data.get("received_at"),
        )
        return case_response(fetch_case(user, case.reference), viewer=user, status_code=status.HTTP_201_CREATED)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def team_for_new_case(user, slug: str | None) -> Team:
    """The team a new case goes to: one of the caller's teams (their first if none is named)."""
    mine = Team.objects.filter(memberships__user=user).order_by("pk")
    if slug:
        team = mine.filter(slug=slug).first()
        if team is None:
            raise ValidationError({"team": [f"{slug!r} is not one of your teams."]})
        return team
    team = mine.first()
    if team is None:
        raise PermissionDenied("You belong to no team, so you cannot open cases.")
    return team


def category_by_code(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise ValidationError({"category": [f"{code!r} is not an active category code."]})
    return category


REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="e.g. CS-2026-000123")


class CaseDetailView(ApiView):
    @extend_schema(
        operation_id="cases_read",
        summary="Read a case with its timeline",
        parameters=[REFERENCE, ETAG],
        responses={200: CaseDetailSerializer, **errors(404)},
    )
    def get(self, request, reference: str):
        require_reader(request.user)
        # The same access rule as fetch_case (one-case grants included), read as the columns
        # the answer shows rather than five model instances.
        now = timezone.now()
        columns = Case.objects.values(*DETAIL_COLUMNS, holds_reveal=holds_reveal(request.user, now=now))
        row = get_case_for_user(request.user, reference, queryset=columns)
        body = case_detail(row, viewer=request.user, now=now)
        return Response(body, headers={"ETag": etag(row["reference"], row["version"])})


class _MessageView(ApiView):
    internal = False

    def post(self, request, reference: str):
        case = fetch_case(request.user, reference, for_write=True)
        # Appending never conflicts in the service; If-Match still lets a client insist that
        # nothing happened since it read the case.
        check_version(case.version, if_match_version(request, case.reference), name=case.reference)
        data = _valid(MessageInput, request)
        event = services.case_add_message(actor=request.user, case=case, body=data["body"], internal=self.internal)
        fresh = Case.objects.only("version").get(pk=case.pk)
        _event_out(event, case)
        return Response(EventSerializer(event).data, status=201, headers={"ETag": etag(case.reference, fresh.version)})


MESSAGE_SCHEMA = {
    "parameters": [REFERENCE, IF_MATCH, ETAG],
    "request": MessageInput,
    "responses": {201: EventSerializer, **errors(*WRITE, 404, 412)},
}


class CaseReplyView(_MessageView):
    @extend_schema(operation_id="cases_reply", summary="Send a public reply", **MESSAGE_SCHEMA)
    def post(self, request, reference: str):
        return super().post(request, reference)


class CaseNoteView(_MessageView):
    internal = True

    @extend_schema(operation_id="cases_note", summary="Add an internal note", **MESSAGE_SCHEMA)
    def post(self, request, reference: str):
        return super().post(request, reference)


class CaseStatusView(ApiView):
    @extend_schema(
        operation_id="cases_change_status",
        summary="Change a case's status",
        description="Along the transition table; resolving or closing is refused (409) while a flag, "
        "escalation or obligation is open.",
        parameters=[REFERENCE, IF_MATCH, ETAG],
        request=StatusInput,
        responses={200: CaseSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, reference: str):
        case = fetch_case(request.user, reference, for_write=True)
        expected = if_match_version(request, case.reference)
        data = _valid(StatusInput, request)
        with_if_match(
            lambda: services.case_change_status(
                actor=request.user,
                case=case,
                to_status=data["to_status"],
                expected_version=expected,
                reason=data["reason"],
            ),
            name=case.reference,
        )
        return case_response(fetch_case(request.user, reference), viewer=request.user)


class CaseAssignView(ApiView):
    @extend_schema(
        operation_id="cases_assign",
        summary="Assign a case (leads of its team)",
        parameters=[REFERENCE, IF_MATCH, ETAG],
        request=AssignInput,
        responses={200: CaseSerializer, **errors(*WRITE, 404, 409, 412)},
    )
    def post(self, request, reference: str):
        case = fetch_case(request.user, reference)
        if not can_assign_case(request.user, case):
            raise PermissionDenied("Only a lead of this case's team can assign it.")
        expected = if_match_version(request, case.reference)
        data = _valid(AssignInput, request)
        assignee = None
        if data["assignee"] is not None:
            assignee = User.objects.filter(username=data["assignee"]).first()
            if assignee is None:
                raise ValidationError({"assignee": [f"No one has the username {data['assignee']!r}."]})
        with_if_match(
            lambda: services.case_assign(actor=request.user, case=case, assignee=assignee, expected_version=expected),
            name=case.reference,
        )
        return case_response(fetch_case(request.user, reference), viewer=request.user)


class CaseSlaTimersView(ApiView):
    @extend_schema(
        operation_id="cases_sla_timers",
        summary="A case's SLA timers, running and finished",
        parameters=[REFERENCE],
        responses={200: TimerSerializer(many=True), **errors(404)},
    )
    def get(self, request, reference: str):
        case = fetch_case(request.user, reference)
        now = timezone.now()
        timers = case_sla_timers(case=case)
        for timer in timers:
            timer.state_now = timer.state(now)
        return Response(TimerSerializer(timers, many=True).data)
