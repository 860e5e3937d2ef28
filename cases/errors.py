"""Domain errors raised by case services. Views turn them into messages, the API into 4xx."""

from __future__ import annotations


class CaseError(Exception):
    """Base: the request was understood but the case's rules refuse it (HTML message, API 400)."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(CaseError):
    status_code = 409


class StaleVersion(CaseError):
    """Someone else changed the case since the form was loaded; nothing was written."""

    status_code = 409

    def __init__(self, *, current_version: int, expected_version: int):
        super().__init__(
            f"This case was changed by someone else while you were editing "
            f"(you had version {expected_version}, it is now {current_version}). "
            f"Nothing was saved; review the current state and try again."
        )
        self.current_version = current_version
        self.expected_version = expected_version


class CaseBlocked(CaseError):
    """A higher app (escalations, compliance) forbids the step, e.g. closing with an open flag."""

    status_code = 409
