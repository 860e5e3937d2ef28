from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import service_account_create, token_issue
from people.choices import Role
from tests.factories import TeamFactory


@pytest.fixture
def api_for(db):
    """An API client authenticated with a fresh token of ``user``."""

    def make(user) -> APIClient:
        client = APIClient()
        issued = token_issue(actor=None, user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        client.token = issued.token
        return client

    return make


@pytest.fixture
def helpdesk(team):
    """The upstream helpdesk's service account: an agent of the team."""
    return service_account_create(
        actor=None, username="helpdesk", role=Role.AGENT, integration="Helpdesk", teams=[team]
    ).user


@pytest.fixture
def cfpb_account(db, settings):
    regulator_team = TeamFactory(name="US complaints", slug="us-complaints")
    settings.CFPB_IMPORT_USERNAME = "cfpb-intake"
    return service_account_create(
        actor=None, username="cfpb-intake", role=Role.LEAD, integration="CFPB import", teams=[regulator_team]
    ).user
