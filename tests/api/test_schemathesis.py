"""Schemathesis against the live schema: generated requests to every endpoint, with a real token on
the test database, find no 5xx and no answer that breaks the schema (status, body, content type)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_issue
from config.wsgi import application

# Bounded so the whole suite stays quick: a few dozen requests per operation.
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def wsgi_in_test_transaction():
    """Serve through the real WSGI handler inside the test's transaction: like Django's test client,
    keep the handler from closing the test's database connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, lead, case, settings, wsgi_in_test_transaction):
    """The schema as the app serves it, read with a lead's token (the lead of ``case``'s team)."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    token = token_issue(actor=None, user=lead, name="schemathesis").secret
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=headers)
    schema.test_headers = headers
    return schema


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.schemathesis
def test_the_api_honours_its_schema(api_schema):
    """Every operation, a bounded number of generated requests each (derandomized, so a failure
    reproduces); every failure of every operation is reported together."""
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case):
            case.call_and_validate(headers=api_schema.test_headers, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # collected: one report naming every operation that failed
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
