"""Keys for caching a rendered page fragment per viewer: who they are and which teams they see.

Queue pages cache their filter sidebars this way: the selects (assignees, jurisdictions,
categories) cost ~10 ms to render and change rarely. The process token keeps a shared cache
from serving one deployment's (or one test run's) fragment to another's users.
"""

from __future__ import annotations

import hashlib
import uuid

from people.selectors import team_ids_of

FILTERS_CACHE_SECONDS = 30
_PROCESS_TOKEN = uuid.uuid4().hex[:12]


def viewer_fragment_key(request, *parts: str) -> str:
    teams = ",".join(str(team_id) for team_id in sorted(team_ids_of(request.user)))
    raw = "|".join([str(request.user.pk), str(getattr(request.user, "role", "")), teams, request.path, *parts])
    return f"{_PROCESS_TOKEN}:{hashlib.sha256(raw.encode()).hexdigest()}"
