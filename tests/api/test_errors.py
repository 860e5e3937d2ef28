"""Every error answers {"error": code, "detail": ...} with its status, never a 500."""

from __future__ import annotations

from cases.choices import Status
from compliance.models import RegulatoryFlag


def _url(case, tail=""):
    return f"/api/v1/cases/{case.reference}/{tail}"


def test_malformed_json_wrong_types_and_unknown_fields_are_400(api_for, agent, case):
    client = api_for(agent)
    bad = client.post(_url(case, "notes/"), "{nope", content_type="application/json")
    assert (bad.status_code, bad.json()["error"]) == (400, "malformed")
    nan = client.post(_url(case, "notes/"), '{"body": NaN}', content_type="application/json")
    assert nan.status_code == 400
    wrong = client.post(_url(case, "status/"), {"to_status": 5}, format="json")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid")
    assert "to_status" in wrong.json()["detail"]
    unknown = client.post(_url(case, "notes/"), {"body": "x", "bdy": "y"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["detail"] == {"bdy": ["Unknown field."]}
    listing = client.post(_url(case, "notes/"), [1, 2], format="json")
    assert listing.status_code == 400


def test_oversized_bodies_are_413_and_other_media_types_415(api_for, agent, case, settings):
    settings.API_MAX_BODY_BYTES = 1000
    client = api_for(agent)
    big = client.post(_url(case, "notes/"), {"body": "x" * 2000}, format="json")
    assert (big.status_code, big.json()["error"]) == (413, "payload_too_large")
    form = client.post(_url(case, "notes/"), {"body": "x"})  # multipart
    assert (form.status_code, form.json()["error"]) == (415, "unsupported_media_type")
    latin = client.post(_url(case, "notes/"), b'{"body": "\xe9"}', content_type="application/json")
    assert latin.status_code == 400 and "not UTF-8" in latin.json()["detail"]


def test_not_found_forbidden_and_method_not_allowed(api_for, agent, outsider, auditor, case):
    assert api_for(agent).get("/api/v1/cases/CS-1999-000001/").json()["error"] == "not_found"
    # An outsider does not learn that the case exists; an auditor reads but may not write.
    assert api_for(outsider).get(_url(case)).status_code == 404
    refused = api_for(auditor).post(_url(case, "notes/"), {"body": "x"}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (403, "permission_denied")
    assert api_for(agent).delete(_url(case)).status_code == 405


def test_domain_refusals_keep_their_status_and_code(api_for, agent, case):
    client = api_for(agent)
    empty = client.post(_url(case, "notes/"), {"body": "   "}, format="json")
    assert (empty.status_code, empty.json()["error"]) == (400, "case_refused")
    closed = client.post(_url(case, "status/"), {"to_status": Status.CLOSED}, format="json")
    assert (closed.status_code, closed.json()["error"]) == (409, "transition_not_allowed")


def test_a_blocked_close_and_flag_problems(api_for, agent, case):
    client = api_for(agent)
    missing = client.post(_url(case, "flags/"), {"kind": "scam_fraud", "facts": {}}, format="json")
    assert missing.status_code == 400 and missing.json()["error"] == "flag_refused"
    assert set(missing.json()["problems"]) == {"scam_type", "amount", "asset"}
    raised = client.post(
        _url(case, "flags/"),
        {"kind": "scam_fraud", "facts": {"scam_type": "credential_compromise", "amount": "10", "asset": "BTC"}},
        format="json",
    )
    assert raised.status_code == 201 and RegulatoryFlag.objects.count() == 1
    blocked = client.post(_url(case, "status/"), {"to_status": Status.RESOLVED}, format="json")
    assert (blocked.status_code, blocked.json()["error"]) == (409, "case_blocked")


def test_a_stale_if_match_is_412_and_writes_nothing(api_for, agent, case):
    client = api_for(agent)
    tag = client.get(_url(case))["ETag"]
    assert tag == f'"{case.reference}-v{case.version}"'
    moved = client.post(_url(case, "status/"), {"to_status": "open"}, format="json", HTTP_IF_MATCH=tag)
    assert moved.status_code == 200 and moved["ETag"] != tag
    stale = client.post(_url(case, "status/"), {"to_status": "pending_customer"}, format="json", HTTP_IF_MATCH=tag)
    assert (stale.status_code, stale.json()["error"]) == (412, "stale_version")
    assert stale["ETag"] == moved["ETag"]
    note = client.post(_url(case, "notes/"), {"body": "x"}, format="json", HTTP_IF_MATCH=tag)
    assert note.status_code == 412
    case.refresh_from_db()
    assert case.status == "open" and not case.events.filter(kind="note").exists()
    other = client.post(_url(case, "notes/"), {"body": "x"}, format="json", HTTP_IF_MATCH='"CS-2026-999999-v1"')
    assert other.status_code == 412
    garbage = client.post(_url(case, "notes/"), {"body": "x"}, format="json", HTTP_IF_MATCH="v1")
    assert garbage.status_code == 400
    fresh = client.post(_url(case, "notes/"), {"body": "x"}, format="json", HTTP_IF_MATCH=moved["ETag"])
    assert fresh.status_code == 201


def test_a_token_over_its_rate_gets_429_with_retry_after(api_for, agent, settings, monkeypatch):
    from django.core.cache import cache

    from api.throttling import TokenRateThrottle

    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api": "3/min"}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    client, other = api_for(agent), api_for(agent)
    statuses = [client.get("/api/v1/cases/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = client.get("/api/v1/cases/")
    assert last.json()["error"] == "throttled" and int(last["Retry-After"]) >= 1
    # Each token has its own budget.
    assert other.get("/api/v1/cases/").status_code == 200
    cache.clear()


def test_the_rate_limit_counts_the_same_without_redis(api_for, agent, settings, monkeypatch):
    """The quickstart's local-memory cache: the same budget per token, then 429."""
    from django.core.cache.backends.locmem import LocMemCache

    from api.throttling import TokenRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api": "2/min"}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(TokenRateThrottle, "cache", LocMemCache("throttle-test", {}))
    client, other = api_for(agent), api_for(agent)
    assert [client.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 429]
    assert other.get("/api/v1/cases/").status_code == 200
