"""Errors of the knowledge services; views turn them into messages (and form errors)."""

from __future__ import annotations

from cases.errors import CaseError


class KnowledgeError(CaseError):
    """A knowledge rule refuses the step; ``problems`` names the fields at fault."""

    def __init__(self, message: str, *, status_code: int = 400, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.problems = problems or {}
