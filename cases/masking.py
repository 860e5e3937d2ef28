"""How PII is shown to people who have not revealed it: enough to recognise, not to misuse."""

from __future__ import annotations

from datetime import date


def mask_email(value: str) -> str:
    local, _, domain = (value or "").partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_tail(value: str, keep: int = 4) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isalnum())
    if not digits:
        return ""
    return "•••• " + digits[-keep:]


def mask_date_of_birth(value: date | None) -> str:
    return str(value.year) if value else ""
