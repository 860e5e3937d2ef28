"""JSON answers written by orjson: the same bytes as DRF's JSONRenderer, several times faster.

Rendering a page of 50 cases with the standard library's encoder was a tenth of the list's
time. orjson writes the same compact UTF-8 JSON; what it would write differently is handed to
DRF's own encoder: datetimes, dates and times (DRF's ISO forms, ``Z`` for UTC, milliseconds),
Decimals, lazy translations. A pretty-printed answer (``Accept: application/json; indent=4``)
is left to DRF's renderer, which supports any indent.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


class OrjsonRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_fallback, option=_OPTIONS)
        except TypeError:
            # Integers beyond 64 bits and other rarities: the standard encoder's answer.
            return super().render(data, accepted_media_type, renderer_context)
        # Like DRF, escape U+2028/U+2029 so the body is also a strict JavaScript subset.
        if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
