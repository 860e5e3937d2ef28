"""The Celery app: broker, queues and the beat schedule, all in one place.

Broker: Redis when ``REDIS_URL`` is set, otherwise kombu's filesystem transport in
``var/broker`` so the quickstart runs a real worker and beat with no Redis at all.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("escalation_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
