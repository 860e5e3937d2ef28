"""Pure text work: Markdown to safe HTML, reply-template placeholders, version diffs.

Markdown goes through markdown-it-py with raw HTML turned off (so ``<script>`` is shown as
text, never parsed as a tag), and the HTML it makes is then cleaned by nh3 against a short
allow-list of tags, attributes and URL schemes: a link to ``javascript:`` or an event handler
attribute cannot reach the page even if the parser let one through.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from knowledge.choices import PLACEHOLDERS

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=512)
def markdown_to_html(text: str) -> str:
    """Safe HTML for a document body (versions never change, so the result is cached by text)."""
    html = _MARKDOWN.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


# {{ name }} with optional spaces; anything else in double braces is an unknown placeholder.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def placeholders_in(text: str) -> list[str]:
    """Every placeholder name used in ``text``, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in _PLACEHOLDER.finditer(text)))


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders a template uses that the desk cannot fill, plus unbalanced braces."""
    unknown = [name or "(empty)" for name in placeholders_in(text) if name not in PLACEHOLDERS]
    leftover = _PLACEHOLDER.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        unknown.append("unclosed {{ … }}")
    return unknown


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """The template with each known placeholder replaced by its value (empty if not given)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), text)


def placeholder_values(case, *, agent=None) -> dict[str, str]:
    """What the placeholders mean for one case (and the person replying)."""
    full_name = case.customer.full_name.strip()
    return {
        "customer_first_name": full_name.split()[0] if full_name else "",
        "customer_name": full_name,
        "case_reference": case.reference,
        "case_subject": case.subject,
        "agent_first_name": (getattr(agent, "first_name", "") or getattr(agent, "username", "")) if agent else "",
    }


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


def version_diff(old: str, new: str, *, old_label: str, new_label: str) -> list[DiffLine]:
    """A unified diff of two bodies as lines a template can colour (escaped there, never here)."""
    lines: list[DiffLine] = []
    diff = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
    )
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("remove", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return lines
