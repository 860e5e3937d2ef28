"""Deny by default; tokens (hashed, revocable, expiring) and the browser session with CSRF."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import TokenError, token_digest, token_issue, token_revoke


def test_every_endpoint_denies_a_caller_without_credentials(db, case):
    client = Client()
    for path in ("/api/v1/cases/", f"/api/v1/cases/{case.reference}/", "/api/v1/flags/", "/api/v1/schema/?format=json"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_is_stored_only_as_its_digest_and_works_until_revoked(agent, case):
    issued = token_issue(actor=None, user=agent, name="script")
    row = ApiToken.objects.get()
    assert issued.secret.startswith("edk_") and issued.secret not in (row.digest, row.prefix)
    assert row.digest == token_digest(issued.secret)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get("/api/v1/cases/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    token_revoke(actor=None, token=row)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401 and response.json()["error"] == "authentication_failed"


def test_unknown_malformed_and_expired_tokens_are_refused(agent):
    issued = token_issue(actor=None, user=agent, name="short", expires_at=timezone.now() + timedelta(seconds=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for header in (f"Bearer {issued.secret}", "Bearer edk_nope", "Bearer a b", "Bearer \u00e9"):
        assert Client(HTTP_AUTHORIZATION=header).get("/api/v1/cases/").status_code == 401, header


def test_admins_get_no_tokens_and_inactive_users_lose_theirs(admin_user, agent):
    with pytest.raises(TokenError):
        token_issue(actor=None, user=admin_user, name="x")
    issued = token_issue(actor=None, user=agent, name="x")
    agent.is_active = False
    agent.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get("/api/v1/cases/").status_code == 401


def test_a_role_without_case_data_is_refused(api_for, admin_user, db):
    from people.choices import Role
    from tests.factories import UserFactory

    nobody = UserFactory(role=Role.FIU)
    assert api_for(nobody).get("/api/v1/cases/").status_code == 200  # FIU reads across teams
    admin_user.role = Role.ADMIN
    client = Client()
    client.force_login(admin_user)
    assert client.get("/api/v1/cases/").json()["error"] == "permission_denied"


def test_the_browser_session_reads_and_writes_with_its_csrf_token(agent, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    url = f"/api/v1/cases/{case.reference}/notes/"
    refused = client.post(url, {"body": "x"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/cases/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post(url, {"body": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 201


def test_the_command_issues_lists_and_revokes_tokens_and_creates_service_accounts(team, agent):
    out = io.StringIO()
    call_command("api_token", "service-account", "kyc-vendor", "--role", "agent", "--integration", "KYC vendor",
                 "--team", team.slug, stdout=out)  # fmt: skip
    out = io.StringIO()
    call_command("api_token", "issue", "kyc-vendor", "--name", "prod", "--expires-days", "30", stdout=out)
    secret = out.getvalue().strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/cases/").status_code == 200
    listing = io.StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "kyc-vendor" in listing.getvalue() and secret not in listing.getvalue()
    call_command("api_token", "revoke", ApiToken.objects.get().prefix, stdout=io.StringIO())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/cases/").status_code == 401


def test_the_schema_and_the_docs_page_are_served_by_the_app(api_for, agent, client_for):
    schema = api_for(agent).get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    # Every operation documents the error body for the errors every endpoint can give.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403", "429"):
                assert code in operation["responses"], (path, method, code)
    docs = client_for(agent).get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert Client().get("/api/v1/docs/").status_code == 302  # to the login page
