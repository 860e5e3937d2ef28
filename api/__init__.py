"""The REST API's shared plumbing: tokens and service accounts, authentication, throttling,
error mapping, conditional requests, pagination, the OpenAPI schema and its docs page.

Endpoints live beside the apps they serve (``cases/api/``, ``escalations/api.py``,
``compliance/api.py``, ``intake/api.py``); ``api.urls`` mounts them under ``/api/v1/``.
"""
