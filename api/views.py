"""The base of every API view, and the schema and docs pages."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.views import APIView


class ApiView(APIView):
    """An API endpoint: DRF authenticates (token or session) and denies by default
    (``IsAuthenticated``), so Django's LoginRequiredMiddleware must not redirect token callers
    to the login page."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False
        return view


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document, for any authenticated caller (token or session)."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False
        return view


class DocsView(SpectacularSwaggerView):
    """Swagger UI from the app's own static files (drf-spectacular-sidecar); signed-in people only.

    DRF marks its views exempt from LoginRequiredMiddleware; this page is for people in a
    browser, so it opts back in and an anonymous visitor lands on the login page."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = True
        return view


class NotFoundView(ApiView):
    """Any other path under /api/v1/: the API's JSON 404, not the site's HTML page. Answers only
    authenticated callers, like every endpoint (deny by default)."""

    schema = None

    def _not_found(self, request, *args, **kwargs):
        from django.http import Http404

        raise Http404("No such endpoint or object.")

    get = post = put = patch = delete = _not_found
