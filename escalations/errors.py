"""Domain errors raised by escalation services; views turn them into messages, the API into 4xx."""

from __future__ import annotations

from cases.errors import CaseError


class EscalationError(CaseError):
    """The escalation's rules refuse the step; nothing was written."""

    def __init__(self, message: str, *, status_code: int = 400):
        super().__init__(message)
        self.status_code = status_code


class EscalationStale(EscalationError):
    """Someone answered the escalation since the page was loaded."""

    def __init__(self, *, current_version: int, expected_version: int):
        super().__init__(
            f"This escalation was changed by someone else (you had version {expected_version}, it is now "
            f"{current_version}). Nothing was saved; review it and try again.",
            status_code=409,
        )
