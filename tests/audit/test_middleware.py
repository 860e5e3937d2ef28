"""Each request's id reaches the audit rows it caused, so an auditor can tie them together."""

from __future__ import annotations

import re

import pytest

from audit.context import current_request_id
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

_GENERATED = re.compile(r"^[0-9a-f]{32}$")


def _reply(client, case, **headers):
    return client.post(f"/cases/{case.reference}/messages/", {"body": "On it.", "kind": "reply"}, headers=headers)


def test_it_records_the_callers_request_id_on_the_audit_row(client_for, case, agent):
    response = _reply(client_for(agent), case, **{"X-Request-ID": "edge-7f3a9c21-0001"})

    assert response["X-Request-ID"] == "edge-7f3a9c21-0001"
    assert AuditEvent.objects.get().request_id == "edge-7f3a9c21-0001"


@pytest.mark.parametrize("incoming", ["", "short", "has spaces in it", "x" * 65, "ok-id\nInjected: header"])
def test_it_replaces_a_missing_or_malformed_request_id(client_for, case, agent, incoming):
    headers = {"X-Request-ID": incoming} if incoming else {}

    response = _reply(client_for(agent), case, **headers)

    assert _GENERATED.match(response["X-Request-ID"])
    assert AuditEvent.objects.get().request_id == response["X-Request-ID"]


def test_it_gives_every_request_its_own_id(client_for, case, agent):
    client = client_for(agent)

    first, second = _reply(client, case), _reply(client, case)

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert list(AuditEvent.objects.order_by("id").values_list("request_id", flat=True)) == [
        first["X-Request-ID"],
        second["X-Request-ID"],
    ]


def test_it_forgets_the_request_id_once_the_response_is_sent(client_for, case, agent):
    _reply(client_for(agent), case, **{"X-Request-ID": "edge-7f3a9c21-0002"})

    assert current_request_id() == ""
