"""Automatic routing: which team a case belongs to, and which of its people takes it now.

Flow: a case write (new, reopened, escalated, unassigned) calls :func:`routing_enqueue`, which
sends ``route_case_task`` after commit; the task calls :func:`route_case`. A beat sweep
(:func:`route_catch_up`) picks up anything a lost task, a busy moment or an empty shift left
unrouted, routing a backlog in chunks (:func:`route_cases`: one look at rules, people and loads
per chunk, and each case in it sees the assignments made before it).

1. **Team**: the first active :class:`RoutingRule` by position whose conditions match a new case
   (category, jurisdiction, language, customer tier, flag kinds) moves it to the rule's team. A
   case escalated, reopened or unassigned keeps its team (a rule would undo the escalation).
2. **Agent**: among the team's active agents and specialists, those on shift now in their own
   time zone, holding the rule's required skills, not held back by a higher app's eligibility
   rule (``cases.registry.routing_eligibility``: trained on the SOPs the case's flag kinds
   require) and below their capacity; the least loaded
   wins, then whoever has waited longest since their last case, then the lower id.
3. **Record**: every run writes a :class:`RoutingDecision` naming the rule, every candidate and
   why each was passed over ("off shift", "at capacity 8/8", "missing skill: scam").

Concurrency (PostgreSQL): case rows are taken with ``SKIP LOCKED``, so two routers never work
on one case; the eligible candidates' user rows are locked in id order *before* their load is
counted, so two routers choosing among the same people take turns and neither can push anyone
past capacity. "Get next case" (:func:`case_claim_next`) takes the most urgent free case with
``FOR UPDATE SKIP LOCKED``: two people pressing it at once get different cases.

Rules are edited through ``cases.routing_rules``.

Flag kinds: a case's regulatory flag kinds come from :data:`flag_kind_sources`, which the
compliance app fills in its ``AppConfig.ready()`` (cases may not import compliance).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from audit.services import audit_record
from cases.choices import OPEN_STATUSES, PRIORITY_RANK, EventKind
from cases.errors import CaseError
from cases.models import Case, CaseEvent, RoutingDecision, RoutingOutcome, RoutingRule, RoutingTrigger
from outbox.services import outbox_enqueue
from people.choices import Role
from people.models import Membership, Team, User
from people.roles import can_triage, can_work_cases, role_of
from people.selectors import team_ids_of

# Roles routing gives cases to. Leads triage and pull work themselves; they are not auto-assigned.
ROUTABLE_ROLES = (Role.AGENT, Role.SPECIALIST)
# Who edits routing rules. Rules hold no case data, so administrators may edit them too.
# The sweep leaves alone a case that routing looked at more recently than this.
CATCH_UP_QUIET = timedelta(minutes=5)
CATCH_UP_BATCH = 2000
# Cases routed per transaction by the sweep: amortises the look at rules and people.
CATCH_UP_CHUNK = 50
# "Get next case" skips at most this many cases the person lacks the skills for, then gives up.
PULL_SCAN_LIMIT = 50

CONDITION_KEYS = ("category", "flag_kinds", "jurisdiction", "language", "tier")
CONDITION_LABELS = {
    "category": "Category",
    "flag_kinds": "Flag kinds",
    "jurisdiction": "Jurisdiction",
    "language": "Language",
    "tier": "Customer tier",
}

# Where a case's regulatory flag kinds come from: each source maps a case to kind codes. The
# compliance app appends one in its AppConfig.ready(); empty until regulatory flags exist.
flag_kind_sources: list[Callable[[Case], Iterable[str]]] = []


def can_read_decisions(user, case: Case) -> bool:
    """Leads of the case's team see why it was routed; auditors read everything."""
    return (can_triage(user) and case.team_id in team_ids_of(user)) or role_of(user) == Role.AUDITOR


# --- pure rules: shifts, matching, ranking ---------------------------------------------------


def shift_covers(*, weekday: int, starts_at: time, ends_at: time, local: datetime) -> bool:
    """Whether a weekly shift, in the person's own zone, covers the local wall time ``local``.

    A shift whose end is not after its start runs past midnight: Monday 22:00-06:00 covers
    Monday from 22:00 and Tuesday until 06:00 (and 16:00-00:00 runs to Monday's midnight).
    """
    at, day = local.time(), local.weekday()
    if starts_at < ends_at:
        return day == weekday and starts_at <= at < ends_at
    return (day == weekday and at >= starts_at) or (day == (weekday + 1) % 7 and at < ends_at)


def on_shift(shifts: Iterable[tuple[int, time, time]], *, time_zone: str, now: datetime) -> bool:
    """Whether any of ``(weekday, starts_at, ends_at)`` covers ``now`` read in ``time_zone``."""
    local = now.astimezone(zoneinfo.ZoneInfo(time_zone))
    return any(shift_covers(weekday=w, starts_at=s, ends_at=e, local=local) for w, s, e in shifts)


@dataclass(frozen=True)
class CaseFacts:
    """What rules look at, read once per case."""

    category: str
    jurisdiction: str
    language: str
    tier: str
    flag_kinds: frozenset[str] = frozenset()


def case_facts(case: Case) -> CaseFacts:
    kinds = frozenset(kind for source in flag_kind_sources for kind in source(case))
    return CaseFacts(
        category=case.category.code,
        jurisdiction=case.customer.jurisdiction,
        language=case.language,
        tier=case.customer.tier,
        flag_kinds=kinds,
    )


def rule_conditions_match(conditions: dict, facts: CaseFacts) -> bool:
    """Every non-empty condition must hold; an unknown key never matches (fail narrow, not wide)."""
    for key, wanted in (conditions or {}).items():
        if not wanted:
            continue
        allowed = set(wanted)
        if key == "category":
            ok = facts.category in allowed
        elif key == "jurisdiction":
            # "US" or "AU" stands for every state of the country.
            ok = facts.jurisdiction in allowed or facts.jurisdiction[:2] in allowed
        elif key == "language":
            ok = facts.language in allowed
        elif key == "tier":
            ok = facts.tier in allowed
        elif key == "flag_kinds":
            ok = bool(facts.flag_kinds & allowed)
        else:
            ok = False
        if not ok:
            return False
    return True


def rule_for(facts: CaseFacts, rules: Iterable[RoutingRule]) -> RoutingRule | None:
    """The first rule (in the order given) that matches."""
    return next((rule for rule in rules if rule_conditions_match(rule.conditions, facts)), None)


def active_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(is_active=True).select_related("target_team").order_by("position", "id"))


@dataclass
class Person:
    """Someone routing may give cases to, as one routing run sees them.

    ``load`` and ``last_assigned_at`` move as the run assigns, so the second case of a run sees
    the first one's effect; ``assigned_seq`` orders assignments made within the run, which all
    carry the same time.
    """

    user_id: int
    name: str
    time_zone: str
    capacity: int
    skills: frozenset[str]
    last_assigned_at: datetime | None
    shifts: list[tuple[int, time, time]] = field(default_factory=list)
    on_shift: bool = False
    load: int = 0
    assigned_seq: int = 0

    def idle_key(self) -> tuple:
        # Never assigned waits longest; otherwise the earlier assignment has waited longer.
        if self.last_assigned_at is None:
            return (0, 0.0, 0)
        return (1, self.last_assigned_at.timestamp(), self.assigned_seq)

    def rank(self) -> tuple:
        # Least loaded, then longest idle, then the lower id.
        return (self.load, self.idle_key(), self.user_id)

    def row(self, *, eligible: bool, chosen: bool, reasons: list[str]) -> dict:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "eligible": eligible,
            "chosen": chosen,
            "reasons": reasons,
            "load": self.load,
            "capacity": self.capacity,
        }


def _passed_over(person: Person, winner: Person) -> str:
    """Why an eligible person did not get the case, compared with who did."""
    if person.load > winner.load:
        return f"more open cases ({person.load}/{person.capacity})"
    if person.idle_key() > winner.idle_key():
        return "assigned a case more recently"
    return "same load and idle time; the earlier account was chosen"


def _refusal_kind(reason: str) -> str:
    if reason.startswith("not trained"):
        return "not trained"
    if reason.startswith("at capacity"):
        return "at capacity"
    if reason.startswith("missing skill"):
        return "missing a skill"
    return reason


def choose(
    people: list[Person], *, required: list[str], team: Team, blocked: dict[int, list[str]] | None = None
) -> tuple[Person | None, list[dict], str]:
    """Pick who takes a case among ``people`` and explain it; changes nothing.

    ``blocked`` maps a person's id to reasons higher apps gave for keeping this case from them
    (see :func:`eligibility_blocks`), e.g. "not trained: Scam SOP v4".

    Returns the winner (or None), the candidate rows as stored on the decision (the winner
    first, then the other eligible people in rank order, then the rest by name) and the
    sentence a lead reads.
    """
    refused: list[tuple[Person, list[str]]] = []
    eligible: list[Person] = []
    for person in people:
        reasons = [] if person.on_shift else ["off shift"]
        reasons += [f"missing skill: {skill}" for skill in required if skill not in person.skills]
        reasons += (blocked or {}).get(person.user_id, [])
        if not reasons and person.load >= person.capacity:
            reasons.append(f"at capacity {person.load}/{person.capacity}")
        if reasons:
            refused.append((person, reasons))
        else:
            eligible.append(person)
    eligible.sort(key=Person.rank)
    refused.sort(key=lambda item: (item[0].name.lower(), item[0].user_id))
    rows = []
    winner = eligible[0] if eligible else None
    if winner is not None:
        rows.append(winner.row(eligible=True, chosen=True, reasons=[]))
        rows += [p.row(eligible=True, chosen=False, reasons=[_passed_over(p, winner)]) for p in eligible[1:]]
    rows += [p.row(eligible=False, chosen=False, reasons=reasons) for p, reasons in refused]
    if winner is not None:
        summary = (
            f"Assigned to {winner.name}, the least loaded of {len(eligible)} eligible "
            f"({winner.load}/{winner.capacity} open before this case)"
        )
        if any(p.load == winner.load for p in eligible[1:]):
            summary += " and the longest idle of those as loaded"
        summary += "."
    elif refused:
        counts: dict[str, int] = {}
        for _, reasons in refused:
            for reason in reasons:
                counts[_refusal_kind(reason)] = counts.get(_refusal_kind(reason), 0) + 1
        why = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        summary = f"Nobody in {team} can take it now ({why}); it waits in the queue."
    else:
        summary = f"{team} has no active agents or specialists; it waits in the queue."
    return winner, rows, summary


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _team_people(team_ids: list[int], *, now: datetime) -> dict[int, list[Person]]:
    """Active agents and specialists of each team with their shifts, in one query.

    Someone in two teams is one :class:`Person` in both lists, so their load is counted once.
    """
    people: dict[int, Person] = {}
    teams: dict[int, dict[int, Person]] = {team_id: {} for team_id in team_ids}
    if not team_ids:
        return {}
    rows = (
        Membership.objects.filter(team_id__in=team_ids, user__is_active=True, user__role__in=ROUTABLE_ROLES)
        .order_by("user_id")
        .values_list(
            "team_id",
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__username",
            "user__time_zone",
            "user__max_open_cases",
            "user__skills",
            "user__last_assigned_at",
            "user__shifts__weekday",
            "user__shifts__starts_at",
            "user__shifts__ends_at",
        )
    )
    seen_shifts: set[tuple] = set()
    for team_id, user_id, first, last, username, zone, capacity, skills, last_at, weekday, starts, ends in rows:
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = Person(
                user_id=user_id,
                name=_name(first, last, username),
                time_zone=zone,
                capacity=capacity,
                skills=frozenset(skills or ()),
                last_assigned_at=last_at,
            )
        teams[team_id][user_id] = person
        # A person in two teams comes back once per team with the same shifts.
        if weekday is not None and (user_id, weekday, starts, ends) not in seen_shifts:
            seen_shifts.add((user_id, weekday, starts, ends))
            person.shifts.append((weekday, starts, ends))
    for person in people.values():
        person.on_shift = on_shift(person.shifts, time_zone=person.time_zone, now=now)
    return {team_id: list(members.values()) for team_id, members in teams.items()}


def eligibility_blocks(cases: list[tuple[Case, CaseFacts]], user_ids: list[int]) -> dict[int, dict[int, list[str]]]:
    """Why higher apps keep people from cases (``cases.registry.routing_eligibility``), merged:
    ``{case_id: {user_id: [reasons]}}``. Each hook is asked once for the whole set."""
    from cases import registry

    merged: dict[int, dict[int, list[str]]] = {}
    if not cases or not user_ids:
        return merged
    for check in registry.routing_eligibility:
        for case_id, by_user in check(cases, user_ids).items():
            for user_id, reasons in by_user.items():
                merged.setdefault(case_id, {}).setdefault(user_id, []).extend(reasons)
    return merged


def _open_load(user_ids: list[int]) -> dict[int, int]:
    """Open cases each person owns: one aggregate over the assignee's partial open-cases index."""
    if not user_ids:
        return {}
    rows = (
        Case.objects.filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def _lock_users(user_ids: list[int]) -> None:
    # One statement in id order: two routers locking overlapping sets of people queue up
    # behind each other instead of deadlocking.
    list(User.objects.select_for_update().filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True))


# --- routing cases ---------------------------------------------------------------------------


def _snapshot(case: Case) -> dict:
    return {"team_id": case.team_id, "assignee_id": case.assignee_id, "version": case.version}


def _assignment_data(*, user_id: int, name: str, decision: RoutingDecision) -> dict:
    # The same shape as a lead's assignment, so the timeline reads both alike.
    return {"from": None, "from_name": None, "to": user_id, "to_name": name, "routing_decision": decision.pk}


@transaction.atomic
def route_cases(*, case_ids: Sequence[int], trigger: str, now: datetime | None = None) -> list[RoutingDecision]:
    """Route cases in one transaction: pick each one's team by rule, then an agent, and record why.

    Idempotent. A case is left alone, with nothing written, when it is gone, resolved or
    closed, already has an assignee, or another transaction holds it right now (a router or a
    person editing it; the catch-up sweep comes back to it). Every other case gets a decision,
    written with its case change, timeline events and audit entry; they are returned in the
    order the ids were given. Cases routed together share one look at rules, people and loads,
    and each sees the assignments made before it.
    """
    trigger = RoutingTrigger(trigger)
    now = now or timezone.now()
    order = {pk: i for i, pk in enumerate(dict.fromkeys(case_ids))}
    # SKIP LOCKED: a case another router (or editor) holds is theirs; waiting would only make
    # this router find it assigned after they commit. ``of=self`` locks only the cases, not the
    # joined customer, category and team rows every other router reads too.
    cases = sorted(
        Case.objects.select_for_update(of=("self",), skip_locked=True, no_key=True)
        .select_related("category", "customer", "team")
        .filter(pk__in=list(order), status__in=OPEN_STATUSES, assignee__isnull=True),
        key=lambda case: order[case.pk],
    )
    if not cases:
        return []
    rules = active_rules()
    # Rules place a case once, when it arrives (or when the sweep finds one whose first routing
    # was lost). A case escalated to a team, reopened or unassigned keeps its team: moving it by
    # rule would undo the escalation or a lead's hand-off. There only a rule that targets the
    # case's own team applies, for its required skills.
    if trigger == RoutingTrigger.NEW:
        placeable = set(order)
    elif trigger == RoutingTrigger.CATCH_UP:
        routed_before = RoutingDecision.objects.filter(case_id__in=[case.pk for case in cases])
        placeable = {case.pk for case in cases} - set(routed_before.values_list("case_id", flat=True))
    else:
        placeable = set()
    plans = []
    facts_of = {case.pk: case_facts(case) for case in cases}
    for case in cases:
        before = _snapshot(case)
        rule = rule_for(facts_of[case.pk], rules)
        from_team = None
        if rule is not None and rule.target_team_id != case.team_id:
            if case.pk in placeable:
                from_team, case.team = case.team, rule.target_team
            else:
                rule = None
        plans.append((case, before, rule, from_team, case.pk in placeable))

    auto_team_ids = sorted({case.team_id for case, *_ in plans if case.team.auto_assign})
    people_of = _team_people(auto_team_ids, now=now)
    everyone = {person.user_id: person for members in people_of.values() for person in members}
    hopeful = sorted(user_id for user_id, person in everyone.items() if person.on_shift)
    if hopeful:
        # Locked before counting: a router that got here first commits its assignments before
        # this one reads the load, so nobody goes past capacity. The count is a separate
        # statement on purpose: under READ COMMITTED it sees that commit.
        _lock_users(hopeful)
    for user_id, load in _open_load(list(everyone)).items():
        everyone[user_id].load = load
    # Training and other eligibility rules of higher apps: one look for the whole chunk.
    blocks = eligibility_blocks([(case, facts_of[case.pk]) for case, *_ in plans], sorted(everyone))

    decisions: list[RoutingDecision] = []
    winners: list[Person | None] = []
    for seq, (case, _before, rule, from_team, placed) in enumerate(plans, start=1):
        team = case.team
        if rule is None and not placed:
            how = f"It stays with {team}: rules place only new cases. "
        elif rule is None:
            how = f"No rule matched; it stays with {team}. "
        elif from_team is not None:
            how = f"Rule {rule.name!r} moved it from {from_team} to {team}. "
        else:
            how = f"Rule {rule.name!r} matched; it stays with {team}. "
        winner, rows = None, []
        if not team.auto_assign:
            outcome = RoutingOutcome.QUEUE_PULL
            summary = f"{team} takes no automatic assignments: left in its queue for a member to pull."
        else:
            required = list(rule.required_skills) if rule else []
            winner, rows, summary = choose(
                people_of.get(team.pk, []), required=required, team=team, blocked=blocks.get(case.pk)
            )
            outcome = RoutingOutcome.ASSIGNED if winner else RoutingOutcome.NO_CANDIDATE
        if winner is not None:
            winner.load += 1
            winner.last_assigned_at, winner.assigned_seq = now, seq
        winners.append(winner)
        decisions.append(
            RoutingDecision(
                case=case,
                created_at=now,
                trigger=trigger,
                rule=rule,
                rule_name=rule.name if rule else "",
                from_team=from_team,
                team=team,
                assignee_id=winner.user_id if winner else None,
                outcome=outcome,
                summary=(how + summary)[:300],
                candidates=rows,
            )
        )
    RoutingDecision.objects.bulk_create(decisions)

    events, changed = [], []
    for (case, _before, rule, from_team, _placed), winner, decision in zip(plans, winners, decisions, strict=True):
        if from_team is not None:
            data = {"from_team": from_team.name, "to_team": case.team.name, "routing_rule": rule.name}
            events.append(CaseEvent(case=case, kind=EventKind.TRANSFER, data=data, created_at=now))
        if winner is not None:
            data = _assignment_data(user_id=winner.user_id, name=winner.name, decision=decision)
            events.append(CaseEvent(case=case, kind=EventKind.ASSIGNMENT, data=data, created_at=now))
            case.assignee_id = winner.user_id
        if from_team is not None or winner is not None:
            case.updated_at = now
            case.version += 1
            changed.append(case)
    CaseEvent.objects.bulk_create(events)
    for case in changed:
        # One plain UPDATE per case: cheaper to build than bulk_update's CASE per column.
        case.save(update_fields=["team", "assignee", "updated_at", "version"])
    if assigned := {winner.user_id for winner in winners if winner is not None}:
        User.objects.filter(pk__in=assigned).update(last_assigned_at=now)
    # Last: the audit chain is serialised until commit, so this transaction holds it briefly.
    for (case, before, *_), decision in zip(plans, decisions, strict=True):
        audit_record(
            actor=None,
            action="case.route",
            object_type="case",
            object_id=case.reference,
            before=before,
            after={
                **_snapshot(case),
                "routing_decision_id": decision.pk,
                "outcome": decision.outcome,
                "rule": decision.rule_name,
            },
        )
    return sorted(decisions, key=lambda decision: order[decision.case_id])


def route_case(*, case_id: int, trigger: str, now: datetime | None = None) -> RoutingDecision | None:
    """Route one case (what the task does after a case write); None when there was nothing to do."""
    decisions = route_cases(case_ids=[case_id], trigger=trigger, now=now)
    return decisions[0] if decisions else None


# A burst of new cases (a campaign, an outage) queues one task per case. The first task to run
# routes its own case, then up to this many never-routed cases of the same team in one more
# transaction, sharing one look at rules, people and loads; the later tasks find their cases
# assigned and return after one query. Routing one case per transaction was ~100 cases/s.
TASK_BACKLOG_CHUNK = 49


def route_case_and_waiting(*, case_id: int, trigger: str, now: datetime | None = None) -> RoutingDecision | None:
    """What the task runs: route the case, then the team's never-routed new cases waiting behind it."""
    team_id = Case.objects.filter(pk=case_id).values_list("team_id", flat=True).first()
    decision = route_case(case_id=case_id, trigger=trigger, now=now)
    if team_id is None or decision is None:
        # Nothing to do for this case means another run routed it, and that run took the
        # cases waiting with it: this task stops after two queries.
        return decision
    waiting = list(
        Case.objects.filter(team_id=team_id, status__in=OPEN_STATUSES, assignee__isnull=True)
        .exclude(pk=case_id)
        .filter(~Exists(RoutingDecision.objects.filter(case=OuterRef("pk"))))
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:TASK_BACKLOG_CHUNK]
    )
    if waiting:
        route_cases(case_ids=waiting, trigger=RoutingTrigger.NEW, now=now)
    return decision


def route_catch_up(*, now: datetime | None = None, limit: int = CATCH_UP_BATCH, chunk: int = CATCH_UP_CHUNK) -> int:
    """Route open, unassigned cases that routing has not looked at lately; returns decisions written.

    Picks cases of auto-assigning teams with no decision in the last ``CATCH_UP_QUIET``, and
    cases anywhere that were never routed at all (a lost task: their rule may move them).
    Oldest first, at most ``limit`` per run, ``chunk`` cases per transaction (so a long sweep
    never holds many people's rows for long), and a second run right after the first finds
    nothing to do.
    """
    now = now or timezone.now()
    decided = RoutingDecision.objects.filter(case=OuterRef("pk"))
    due_ids = list(
        Case.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=True)
        .filter(
            (Q(team__auto_assign=True) & ~Exists(decided.filter(created_at__gt=now - CATCH_UP_QUIET)))
            | ~Exists(decided)
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    written = 0
    for start in range(0, len(due_ids), chunk):
        written += len(route_cases(case_ids=due_ids[start : start + chunk], trigger=RoutingTrigger.CATCH_UP, now=now))
    return written


def routing_enqueue(*, case_id: int, trigger: str) -> None:
    """Route the case after the current transaction commits (a task on the ``routing`` queue).

    Through the outbox: after commit, so the worker sees the case as the caller left it; if the
    transaction rolls back, nothing is sent; if the broker is down, it is sent once it is back.
    """
    trigger = RoutingTrigger(trigger).value
    outbox_enqueue(task="cases.routing_tasks.route_case_task", args=[case_id, trigger])


# --- "Get next case" -------------------------------------------------------------------------


def _urgency_order() -> list:
    rank = SqlCase(
        *(When(priority=priority, then=Value(weight)) for priority, weight in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
    )
    return [F("sla_due_at").asc(nulls_last=True), rank.asc(), "received_at", "pk"]


def _required_skills(case: Case, rules: list[RoutingRule]) -> list[str]:
    # The skills the rule that sends cases like this one to this team asks for; a case a lead
    # moved by hand to a team no rule targets asks for none.
    rule = rule_for(case_facts(case), rules)
    return list(rule.required_skills) if rule and rule.target_team_id == case.team_id else []


@transaction.atomic
def case_claim_next(*, actor: User, now: datetime | None = None) -> Case | None:
    """Give the person the most urgent unassigned open case of their teams they are able to take.

    Most urgent: earliest SLA due time (cases with no running timer last), then priority, then
    oldest. Cases whose routing rule needs a skill the person lacks, or that an eligibility
    hook keeps from them (not trained on a required SOP), are skipped. Returns the
    case, now assigned to them with a decision (trigger "pull") on record, or None when no case
    is free. Raises CaseError if their role does not work cases or they are at capacity.
    """
    if not can_work_cases(actor):
        raise CaseError("Only agents, leads and specialists take cases from a queue.")
    now = now or timezone.now()
    # The person's own row first: two presses from two tabs take turns, so capacity holds.
    me = User.objects.select_for_update().get(pk=actor.pk)
    load = _open_load([me.pk]).get(me.pk, 0)
    if load >= me.max_open_cases:
        raise CaseError(
            f"You have {load} open cases and your limit is {me.max_open_cases}: "
            "resolve or hand one back before taking another."
        )
    team_ids = list(me.memberships.values_list("team_id", flat=True))
    rules = active_rules()
    skipped: list[int] = []
    for _ in range(PULL_SCAN_LIMIT):
        # SKIP LOCKED: a case someone else is claiming (or routing, or editing) right now is
        # passed over instead of waited on, so simultaneous presses get different cases.
        case = (
            Case.objects.select_for_update(of=("self",), skip_locked=True, no_key=True)
            .select_related("category", "customer", "team")
            .filter(team_id__in=team_ids, status__in=OPEN_STATUSES, assignee__isnull=True)
            .exclude(pk__in=skipped)
            .order_by(*_urgency_order())
            .first()
        )
        if case is None:
            return None
        missing = [skill for skill in _required_skills(case, rules) if skill not in (me.skills or [])]
        if missing or eligibility_blocks([(case, case_facts(case))], [me.pk]).get(case.pk):
            skipped.append(case.pk)
            continue
        return _claim(case, me, load=load, now=now)
    return None


def _claim(case: Case, me: User, *, load: int, now: datetime) -> Case:
    before = _snapshot(case)
    name = str(me)
    decision = RoutingDecision.objects.create(
        case=case,
        created_at=now,
        trigger=RoutingTrigger.PULL,
        team=case.team,
        assignee=me,
        outcome=RoutingOutcome.CLAIMED,
        summary=f"{name} took it with Get next case ({load}/{me.max_open_cases} open before this case).",
        candidates=[
            {
                "user_id": me.pk,
                "name": name,
                "eligible": True,
                "chosen": True,
                "reasons": [],
                "load": load,
                "capacity": me.max_open_cases,
            }
        ],
    )
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.ASSIGNMENT,
        actor=me,
        data=_assignment_data(user_id=me.pk, name=name, decision=decision),
        created_at=now,
    )
    case.assignee = me
    case.updated_at = now
    case.version += 1
    case.save(update_fields=["assignee", "updated_at", "version"])
    User.objects.filter(pk=me.pk).update(last_assigned_at=now)
    audit_record(
        actor=me,
        action="case.claim",
        object_type="case",
        object_id=case.reference,
        before=before,
        after={**_snapshot(case), "routing_decision_id": decision.pk},
    )
    return case


# --- reads -----------------------------------------------------------------------------------


def routing_decision_latest(case: Case) -> RoutingDecision | None:
    """The most recent decision on the case, with its rule, teams and assignee joined in."""
    return (
        RoutingDecision.objects.filter(case=case)
        .select_related("case", "rule", "team", "from_team", "assignee")
        .order_by("-created_at", "-id")
        .first()
    )


def routing_decision_for(*, user, case: Case) -> RoutingDecision | None:
    """What the case page shows: the latest decision for leads of its team and auditors, else None."""
    return routing_decision_latest(case) if can_read_decisions(user, case) else None


def routing_decisions_for_case(case: Case) -> list[RoutingDecision]:
    return list(
        RoutingDecision.objects.filter(case=case)
        .select_related("case", "rule", "team", "from_team", "assignee")
        .order_by("-created_at", "-id")
    )


def routing_case_panel(user, case: Case, editable: bool) -> dict | None:
    """The case page's routing panel (a ``cases.registry.case_panels`` hook): the latest decision,
    for leads of the case's team and auditors; one query."""
    decision = routing_decision_for(user=user, case=case)
    return {"template": "routing/_panel.html", "decision": decision} if decision else None
