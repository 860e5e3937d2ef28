"""Reads for knowledge pages, the case panel and routing's training check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Exists, F, FilteredRelation, Max, OuterRef, Prefetch, Q, QuerySet

from cases.choices import EventKind
from cases.models import Case, CaseEvent
from compliance.models import RegulatoryFlag
from knowledge.choices import DocKind, ReviewDecision, VersionState
from knowledge.models import Acknowledgement, Document, DocumentVersion, VersionLink
from knowledge.rendering import fill_placeholders, markdown_to_html, placeholder_values
from people.choices import Role
from people.models import Membership, Team, User
from people.roles import ORG_WIDE_READERS, can_read_cases, can_triage, role_of
from people.selectors import team_ids_of

TRAINEE_ROLES = (Role.AGENT, Role.SPECIALIST)
READ_DOCS = (DocKind.SOP, DocKind.GUIDE)


def can_read_library(user) -> bool:
    return can_read_cases(user)


def is_trainee(user) -> bool:
    return role_of(user) in TRAINEE_ROLES


# --- routing ----------------------------------------------------------------------------------


def routing_training_gaps(cases: list, user_ids: list[int]) -> dict[int, dict[int, list[str]]]:
    """``cases.registry.routing_eligibility``: who is not trained for which case.

    A case with regulatory flags needs its candidates to have acknowledged, at or above the
    required version, every current SOP linked to one of its flag kinds. One query for the
    whole routing chunk (none when no case has a flag): the current SOPs of those kinds, each
    joined to the acknowledgements of the candidates that count.
    """
    kinds_of = {case.pk: set(facts.flag_kinds) for case, facts in cases if facts.flag_kinds}
    if not kinds_of or not user_ids:
        return {}
    wanted = sorted(set().union(*kinds_of.values()))
    rows = (
        Document.objects.filter(kind=DocKind.SOP, current_version__links__flag_kind__in=wanted)
        .annotate(
            counted=FilteredRelation(
                "acknowledgements",
                condition=Q(
                    acknowledgements__agent_id__in=list(user_ids),
                    acknowledgements__version_number__gte=F("required_number"),
                ),
            )
        )
        .values_list("pk", "title", "current_version__number", "current_version__links__flag_kind", "counted__agent_id")
    )
    sops: dict[int, tuple[str, set[str], set[int]]] = {}
    for pk, title, number, kind, agent_id in rows:
        label, kinds, trained = sops.setdefault(pk, (f"{title} v{number}", set(), set()))
        kinds.add(kind)
        if agent_id is not None:
            trained.add(agent_id)
    gaps: dict[int, dict[int, list[str]]] = {}
    for case_id, kinds in kinds_of.items():
        for label, sop_kinds, trained in sorted(sops.values()):
            if not kinds & sop_kinds:
                continue
            for user_id in user_ids:
                if user_id not in trained:
                    gaps.setdefault(case_id, {}).setdefault(user_id, []).append(f"not trained: {label}")
    return gaps


# --- the case page ----------------------------------------------------------------------------


@dataclass
class PanelItem:
    document: Document
    version: DocumentVersion
    for_flag: bool
    trained: bool = True
    needs_reading: bool = False
    text: str = ""


def knowledge_case_panel(user, case, editable: bool) -> dict | None:
    """The case page's knowledge panel (a ``cases.registry.case_panels`` hook), in one query:
    the current SOPs and quick guides for the case's category, flag kinds and the customer's
    jurisdiction (flag ones first), the customer scripts of its flag kinds, and the reply
    templates that fit it, filled in for this customer. A trainee sees which SOPs they still
    have to acknowledge, and a banner while a material change waits for them."""
    if not can_read_library(user):
        return None
    kinds = RegulatoryFlag.objects.filter(case_id=case.pk).values("kind")
    links = VersionLink.objects.filter(version_id=OuterRef("current_version_id"))
    jurisdiction = case.customer.jurisdiction
    by_topic = Exists(links.filter(category_id=case.category_id)) | Exists(links.filter(flag_kind__in=kinds))
    by_place = Exists(links.filter(jurisdiction__in=[jurisdiction, jurisdiction[:2]]))
    documents = (
        Document.objects.filter(current_version__isnull=False)
        .filter(Q(current_version__has_topics=True) | Q(current_version__has_jurisdictions=True))
        .filter(by_topic | Q(current_version__has_topics=False))
        .filter(by_place | Q(current_version__has_jurisdictions=False))
        .annotate(
            for_flag=Exists(links.filter(flag_kind__in=kinds)),
            script_for_case=Exists(RegulatoryFlag.objects.filter(case_id=case.pk, kind=OuterRef("script_kind"))),
            trained=Exists(
                Acknowledgement.objects.filter(
                    agent_id=user.pk, document_id=OuterRef("pk"), version_number__gte=OuterRef("required_number")
                )
            ),
        )
        .select_related("current_version")
        .order_by("-for_flag", "title", "pk")
    )
    trainee = is_trainee(user)
    values = placeholder_values(case, agent=user)
    reading, scripts, templates = [], [], []
    for document in documents:
        item = PanelItem(document=document, version=document.current_version, for_flag=document.for_flag)
        if document.kind == DocKind.MACRO:
            item.text = fill_placeholders(item.version.body, values)
            if document.script_kind:
                if document.script_for_case:
                    scripts.append(item)
            else:
                templates.append(item)
            continue
        item.trained = document.trained
        item.needs_reading = trainee and not document.trained
        reading.append(item)
    material = [i for i in reading if i.needs_reading and i.document.required_number > 1]
    if not (reading or scripts or templates):
        return None
    return {
        "template": "knowledge/_case_panel.html",
        "reading": reading,
        "scripts": scripts,
        "templates": templates,
        "material": material,
        "trainee": trainee,
        "can_insert": editable and case.is_open,
    }


# --- the library ------------------------------------------------------------------------------


def _current_versions() -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(current_of__isnull=False).select_related("document")


def fallback_search(qs: QuerySet[DocumentVersion], query: str) -> QuerySet[DocumentVersion]:
    """Every word must appear in the title or the text, in any case (SQLite and other
    databases without full-text search). Quoted phrases are not parsed: words are matched."""
    for word in query.split():
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return qs.order_by("title", "pk")


def library_search(*, user, query: str = "", kind: str = "") -> list[DocumentVersion]:
    """Current versions matching ``query``: PostgreSQL full-text search (title weighs more
    than the text, best match first, web-search syntax: "quoted phrase", -exclude, or), or the
    word match of :func:`fallback_search` elsewhere. One query."""
    if not can_read_library(user):
        return []
    qs = _current_versions()
    if kind in DocKind.values:
        qs = qs.filter(document__kind=kind)
    query = query.strip()
    if not query:
        return list(qs.order_by("document__kind", "title", "pk"))
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config="english")
        return list(qs.filter(search=search).annotate(rank=SearchRank(F("search"), search)).order_by("-rank", "pk"))
    return list(fallback_search(qs, query))


def document_get(*, slug: str) -> Document | None:
    return Document.objects.select_related("current_version", "created_by").filter(slug=slug).first()


def version_state(version: DocumentVersion, document: Document) -> VersionState:
    if hasattr(version, "publication"):
        return VersionState.CURRENT if document.current_version_id == version.pk else VersionState.SUPERSEDED
    if hasattr(version, "review") and version.review.decision == ReviewDecision.CHANGES_REQUESTED:
        return VersionState.CHANGES_REQUESTED
    if hasattr(version, "submission"):
        return VersionState.AWAITING_APPROVAL
    return VersionState.DRAFT


def document_versions(*, document: Document) -> list[DocumentVersion]:
    """Every version, newest first, with its links and lifecycle rows and its ``state`` (two queries)."""
    versions = list(
        DocumentVersion.objects.filter(document=document)
        .select_related("created_by", "submission__submitted_by", "review__reviewer", "publication__published_by")
        .prefetch_related(Prefetch("links", queryset=VersionLink.objects.select_related("category", "team")))
        .order_by("-number")
    )
    for version in versions:
        version.state = version_state(version, document)
    return versions


def version_html(version: DocumentVersion) -> str:
    return markdown_to_html(version.body)


def review_queue() -> list[DocumentVersion]:
    """Versions sent for compliance approval and not yet decided, oldest submission first."""
    return list(
        DocumentVersion.objects.filter(submission__isnull=False, review__isnull=True)
        .select_related("document", "created_by", "submission__submitted_by")
        .order_by("submission__submitted_at", "pk")
    )


# --- training ---------------------------------------------------------------------------------


@dataclass
class Requirement:
    """A current SOP or quick guide and the teams who must read it (None: everyone)."""

    document: Document
    version: DocumentVersion
    team_ids: frozenset[int] | None

    def applies_to(self, teams: Iterable[int]) -> bool:
        return self.team_ids is None or bool(self.team_ids & set(teams))


def _requirements() -> list[Requirement]:
    """Every current SOP and quick guide with its audience (two queries)."""
    documents = (
        Document.objects.filter(current_version__isnull=False, kind__in=READ_DOCS)
        .select_related("current_version")
        .prefetch_related(
            Prefetch(
                "current_version__links", queryset=VersionLink.objects.filter(team__isnull=False), to_attr="team_links"
            )
        )
        .order_by("title", "pk")
    )
    return [
        Requirement(
            document=d,
            version=d.current_version,
            team_ids=frozenset(link.team_id for link in d.current_version.team_links) or None,
        )
        for d in documents
    ]


def _acked_numbers(user_ids: Iterable[int], documents: Iterable[int]) -> dict[tuple[int, int], int]:
    """The highest version each person acknowledged of each document (one query)."""
    rows = (
        Acknowledgement.objects.filter(agent_id__in=list(user_ids), document_id__in=list(documents))
        .values("agent_id", "document_id")
        .annotate(top=Max("version_number"))
        .values_list("agent_id", "document_id", "top")
    )
    return {(agent, document): top for agent, document, top in rows}


@dataclass
class Pending:
    requirement: Requirement
    acknowledged_number: int | None

    @property
    def material(self) -> bool:
        return self.acknowledged_number is not None or self.requirement.document.required_number > 1


def pending_for(user) -> list[Pending]:
    """What a trainee still has to acknowledge (three queries; none for other roles)."""
    if not is_trainee(user):
        return []
    requirements = [r for r in _requirements() if r.applies_to(team_ids_of(user))]
    acked = _acked_numbers([user.pk], [r.document.pk for r in requirements])
    pending = []
    for requirement in requirements:
        top = acked.get((user.pk, requirement.document.pk))
        if top is None or top < requirement.document.required_number:
            pending.append(Pending(requirement=requirement, acknowledged_number=top))
    return pending


def my_acknowledgements(user) -> list[Acknowledgement]:
    return list(
        Acknowledgement.objects.filter(agent=user).select_related("document", "version").order_by("-acknowledged_at")
    )


def outstanding_acknowledgements() -> list[tuple[int, int, str]]:
    """``(user_id, version_id, "Title v4")`` for every trainee who has not acknowledged a
    current SOP or quick guide meant for them at its required version (four queries)."""
    requirements = _requirements()
    if not requirements:
        return []
    members = list(
        Membership.objects.filter(user__is_active=True, user__role__in=TRAINEE_ROLES).values_list("user_id", "team_id")
    )
    teams_of: dict[int, set[int]] = {}
    for user_id, team_id in members:
        teams_of.setdefault(user_id, set()).add(team_id)
    acked = _acked_numbers(teams_of, [r.document.pk for r in requirements])
    out = []
    for user_id, teams in sorted(teams_of.items()):
        for r in requirements:
            top = acked.get((user_id, r.document.pk))
            if r.applies_to(teams) and (top is None or top < r.document.required_number):
                out.append((user_id, r.version.pk, f"{r.version.title} v{r.version.number}"))
    return out


@dataclass
class TeamTraining:
    team: Team
    requirements: list[Requirement]
    # One row per member: (user, [(requirement, acknowledged number or None, trained?) or None]).
    rows: list[tuple[User, list]] = field(default_factory=list)

    def missing(self) -> int:
        return sum(1 for _, cells in self.rows for cell in cells if cell is not None and not cell[2])


def team_training(*, user) -> list[TeamTraining]:
    """Who has and has not acknowledged each current SOP and quick guide, per team the lead
    leads (all teams for org-wide readers). Five queries however many teams, people and SOPs."""
    if can_triage(user):
        teams = list(Team.objects.filter(pk__in=team_ids_of(user)).order_by("name"))
    elif role_of(user) in ORG_WIDE_READERS:
        teams = list(Team.objects.order_by("name"))
    else:
        return []
    requirements = _requirements()
    members = (
        Membership.objects.filter(team__in=teams, user__is_active=True, user__role__in=TRAINEE_ROLES)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    people_of: dict[int, list[User]] = {}
    for membership in members:
        people_of.setdefault(membership.team_id, []).append(membership.user)
    everyone = {u.pk for people in people_of.values() for u in people}
    acked = _acked_numbers(everyone, [r.document.pk for r in requirements])
    out = []
    for team in teams:
        applicable = [r for r in requirements if r.applies_to([team.pk])]
        block = TeamTraining(team=team, requirements=applicable)
        for person in people_of.get(team.pk, []):
            cells = []
            for r in applicable:
                top = acked.get((person.pk, r.document.pk))
                cells.append((r, top, top is not None and top >= r.document.required_number))
            block.rows.append((person, cells))
        out.append(block)
    return out


# --- reply templates --------------------------------------------------------------------------


def replies_with_templates(*, case: Case) -> list[tuple[CaseEvent, DocumentVersion | None]]:
    """Each public reply on the case sent from a reply template, with that exact template
    version (the approved wording) beside what was sent. Two queries."""
    events = list(
        CaseEvent.objects.filter(case=case, kind=EventKind.REPLY, data__has_key="macro_version_id")
        .select_related("actor")
        .order_by("created_at", "id")
    )
    ids = {event.data.get("macro_version_id") for event in events}
    versions = DocumentVersion.objects.filter(pk__in=[i for i in ids if isinstance(i, int)])
    by_id = {v.pk: v for v in versions.select_related("document", "review__reviewer")}
    return [(event, by_id.get(event.data.get("macro_version_id"))) for event in events]
