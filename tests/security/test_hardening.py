"""Sign-in throttling, idle sign-out, the Content-Security-Policy and no inline script."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from people.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def person(team):
    user = UserFactory(username="signer", role=Role.AGENT, teams=[team])
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, password, username="signer"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="203.0.113.9")


def test_sign_in_locks_out_after_the_failure_limit_with_a_clear_message(person, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert _sign_in(client, "wrong").status_code == 200

    locked = _sign_in(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins for this account" in locked.content.decode()
    assert 'name="username"' in locked.content.decode()
    # Even the right password is refused while locked out.
    assert _sign_in(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _sign_in(client, "wrong")
        assert _sign_in(client, "wrong").status_code == 429
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(seconds=1), tick=False):
        assert _sign_in(client, PASSWORD).status_code == 302


def test_a_lockout_is_per_account_and_address(person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _sign_in(Client(), "wrong")
    _sign_in(Client(), "wrong")
    credentials = {"username": "signer", "password": PASSWORD}
    elsewhere = Client().post(reverse("login"), credentials, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302


def test_an_idle_session_is_signed_out(person, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _sign_in(client, PASSWORD).status_code == 302
        assert client.get(reverse("cases:mine")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1), tick=False):
        assert client.get(reverse("cases:mine")).status_code == 200
    later = start + timedelta(minutes=2 * settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(later, tick=False):
        response = client.get(reverse("cases:mine"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        page = client.get(response["Location"]).content.decode()
        assert f"signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity" in page


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/cases/mine/"])
def test_every_page_carries_a_csp_without_inline_or_eval_script(client_for, agent, path):
    response = client_for(agent).get(path)
    policy = _csp(response)
    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"


def test_pages_keep_htmx_config_and_csrf_header_without_inline_script(client_for, agent, case):
    html = client_for(agent).get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert '<meta name="htmx-config"' in html and '"includeIndicatorStyles":false' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script, f"inline script on the page: {script}"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler on the page"


@pytest.mark.parametrize("folder", ["cases", "people", "registration"])
def test_our_templates_have_no_inline_script_or_event_handler(folder):
    for template in (TEMPLATES / folder).rglob("*.html"):
        text = template.read_text()
        for script in re.findall(r"<script[^>]*>", text):
            assert "src=" in script, f"{template.name}: inline <script>"
        assert not re.search(r"\son[a-z]+=\"", text), f"{template.name}: inline event handler"


def test_csrf_is_enforced_on_posts(person, case, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(reverse("cases:message", args=[case.reference]), {"body": "hi", "kind": "reply"})
    assert response.status_code == 403


def test_production_settings_turn_on_https_hsts_secure_cookies_and_short_sessions():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60 + "production-check-only",
        "ALLOWED_HOSTS": "desk.example.com",
    }
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_CONTENT_TYPE_NOSNIFF, s.SESSION_EXPIRE_AT_BROWSER_CLOSE,"
        " s.SESSION_COOKIE_AGE, s.SESSION_IDLE_MINUTES)"
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-9:] == ["True", "31536000", "True", "True", "True", "True", "True", "36000", "30"]


def test_a_made_up_forwarded_address_does_not_dodge_the_lockout(person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for fake in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        response = client.post(
            reverse("login"),
            {"username": "signer", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=fake,
        )
    assert response.status_code == 429
