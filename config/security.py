"""Sign-in hardening the settings switch on: idle sessions end, and a locked-out sign-in says why.

Listed in ``INSTALLED_APPS`` as ``config.security.SecurityConfig`` so the sign-in hook is
connected before anyone signs in (the test client's ``force_login`` included).
"""

from __future__ import annotations

import time

from django.apps import AppConfig
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.shortcuts import render

# The session key holding when the signed-in person was last seen (epoch seconds).
LAST_SEEN = "desk_last_seen"
# Seen-at is written back at most this often, so a busy person's pages do not each write the
# session row; an idle limit of minutes does not need a finer clock.
TOUCH_SECONDS = 60


def _mark_seen(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())


class SecurityConfig(AppConfig):
    name = "config"
    label = "desk_security"
    verbose_name = "Security"

    def ready(self) -> None:
        user_logged_in.connect(_mark_seen, dispatch_uid="desk_security_mark_seen")


class IdleSessionMiddleware:
    """Signs out a session idle for longer than ``SESSION_IDLE_MINUTES``.

    Sits before the views (``LoginRequiredMiddleware`` then sends the person to the sign-in
    page with a message). The session cookie's own age (``SESSION_COOKIE_AGE``) caps a working
    day however active the person is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session:
            now = int(time.time())
            seen = session.get(LAST_SEEN)
            if seen is not None and now - seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request, f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity."
                )
            elif seen is None or now - seen >= TOUCH_SECONDS:
                session[LAST_SEEN] = now
        return self.get_response(request)


def login_locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once an account and address have failed too often: the sign-in
    page again, with why and for how long, and 429 so clients and monitors see a throttle."""
    # Imported here: this module is loaded with the app registry, before models may be.
    from django.contrib.auth.forms import AuthenticationForm

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(request),
        "locked_out": (
            f"Too many failed sign-ins for this account from your address. "
            f"Try again in {minutes} minutes, or ask a lead to unlock it."
        ),
    }
    return render(request, "registration/login.html", context, status=429)
