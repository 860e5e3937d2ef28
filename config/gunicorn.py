"""gunicorn settings for every way the app is served (``gunicorn -c config/gunicorn.py``).

Workers: ``WEB_CONCURRENCY``, else gunicorn's documented starting point of two per core plus
one. A sync worker serves one request at a time, so with only one per core a slow page (a big
queue, an export) makes every request behind it wait; the extra workers let the operating
system share the cores between them instead, which is what keeps short requests short while a
long one runs. Each worker holds one PostgreSQL connection (``CONN_MAX_AGE``), so the database
sees at most this many connections per web host.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
# Longer than any page or export takes; a worker stuck past it is replaced, not left hanging.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# The app's own request log (with request ids) is the record; gunicorn's access log is optional.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
