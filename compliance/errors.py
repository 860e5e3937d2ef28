"""Errors of the compliance services; views turn them into messages, the API into 4xx."""

from __future__ import annotations

from cases.errors import CaseError


class FlagError(CaseError):
    """A flag's rules refuse the step; ``problems`` names the facts at fault, by key."""

    def __init__(self, message: str, *, status_code: int = 400, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.problems = problems or {}
