from __future__ import annotations


class SurveyError(Exception):
    """A survey answer that cannot be recorded; ``message`` is safe to show the customer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SurveyLinkInvalid(SurveyError):
    pass


class SurveyLinkExpired(SurveyError):
    pass


class SurveyAlreadyAnswered(SurveyError):
    pass
