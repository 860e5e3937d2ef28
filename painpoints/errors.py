"""Errors of the pain point services; views turn them into messages or form errors."""

from __future__ import annotations

from cases.errors import CaseError


class PainPointError(CaseError):
    """The pain point's rules refuse the step. ``status_code`` is what an API would answer
    (404 for a case the actor may not see, 409 for a repeat); ``problems`` names form fields."""

    def __init__(self, message: str, *, status_code: int = 400, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.problems = problems or {}
