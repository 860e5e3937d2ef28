"""The demo's flags are workable: real facts for their kind, a digest a reviewer can sign
against, and the queue's nearest deadline."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Min

from compliance.choices import FlagStatus
from compliance.models import Obligation, RegulatoryFlag
from compliance.services import flag_evidence_hash, flag_facts_validate

pytestmark = pytest.mark.django_db


def test_every_demo_flag_has_valid_facts_a_signable_digest_and_its_nearest_deadline():
    call_command("seed_demo", cases=1500, seed=3, as_of="2026-10-01T09:00:00+00:00", stdout=io.StringIO())
    flags = list(RegulatoryFlag.objects.select_related("case__customer"))
    assert flags, "the demo should have regulatory flags"

    for flag in flags:
        _, problems = flag_facts_validate(flag.kind, flag.facts, case=flag.case, today=date(2026, 10, 1))
        # (An elder-exploitation flag's customer must be 65+; the demo's customers are not all marked.)
        if flag.kind == "elder_exploitation":
            problems.pop("kind", None)
        assert not problems, (flag.kind, flag.facts, problems)
        if flag.status == FlagStatus.IN_REVIEW:
            assert flag.evidence_hash == flag_evidence_hash(flag)
        nearest = Obligation.objects.filter(flag=flag, satisfied_at__isnull=True).aggregate(due=Min("due_at"))["due"]
        assert flag.next_due_at == nearest
