"""The case endpoints of the REST API (mounted under /api/v1/ by api.urls)."""
