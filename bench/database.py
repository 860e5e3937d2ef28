"""The benchmark databases: one PostgreSQL database per size, seeded once and reused by every bench.

``escdesk_bench_<N>`` on the server of ``DATABASE_URL`` (default the local server), or the
database ``BENCH_DATABASE_URL`` names outright. A database that is missing is created; one
whose demo load is not the benchmark's (another seed, size or backlog, or loaded before the
data had SLA timers) is loaded again with ``seed_demo --reset``. The benchmark's load keeps
about a tenth of the cases open at its ``as_of`` (``--backlog``), on running SLA clocks, which
is what a queue page and the SLA sweep have to cope with on a busy desk.
"""

from __future__ import annotations

import io
import os
import sys
import time
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/escdesk"
BENCH_SEED = 42
# On top of the ~1% a desk always has in flight: about 10% of cases open at the load's as_of.
BENCH_BACKLOG = 0.09
# ``use_steady_load()`` switches to seed_demo's own mix (about 1% open, a desk's ordinary day),
# kept in its own databases, ``escdesk_bench_<N>_steady``.
_backlog = BENCH_BACKLOG


def use_steady_load() -> None:
    global _backlog
    _backlog = 0.0


def database_url_named(name: str) -> str:
    """``BENCH_DATABASE_URL`` if set, else the database ``name`` on the server of ``DATABASE_URL``."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL (or BENCH_DATABASE_URL) to a postgres:// URL.")
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_database_url(cases: int) -> str:
    suffix = "_steady" if _backlog == 0 else ""
    return database_url_named(f"escdesk_bench_{cases}{suffix}")


def server_connection(url: str):
    """An autocommit connection to the maintenance database of ``url``'s server (CREATE and
    DROP DATABASE cannot run inside a transaction), and the database name ``url`` names."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    return connection, config["NAME"]


def ensure_database(url: str) -> bool:
    """Create the database if it does not exist; True if it was created."""
    from psycopg2 import sql

    connection, name = server_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def drop_database(url: str) -> None:
    """Drop the database if it exists, ending any session still on it."""
    from psycopg2 import sql

    connection, name = server_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()


def copy_database(source_url: str, *, suffix: str, wait_seconds: float = 600) -> str:
    """A fresh copy of ``source_url`` named ``<name>_<suffix>``, for a bench that writes; its URL.

    PostgreSQL copies a database only while nobody else is connected to it, so this retries
    while other benchmarks read the shared one."""
    from psycopg2 import errors, sql

    connection, name = server_connection(source_url)
    target = f"{name}_{suffix}"
    deadline = time.monotonic() + wait_seconds
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
            while True:
                try:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target), sql.Identifier(name))
                    )
                    break
                except errors.ObjectInUse:
                    if time.monotonic() > deadline:
                        raise
                    print(f"{name} is in use by another session; waiting to copy it…", file=sys.stderr)
                    time.sleep(5)
    finally:
        connection.close()
    return source_url.rsplit("/", 1)[0] + f"/{target}"


def open_bench_database(cases: int) -> str:
    """Point Django at the benchmark database for ``cases``, creating and migrating it; its URL."""
    url = bench_database_url(cases)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def last_load() -> dict:
    """What the latest ``seed_demo`` run recorded in the audit ledger (empty if none)."""
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="demo.seed").order_by("-id").first()
    return dict(event.after or {}) if event else {}


def load_is_current(cases: int) -> bool:
    from cases.models import Case, SlaTimer

    load = last_load()
    return (
        load.get("seed") == BENCH_SEED
        and load.get("cases") == cases
        and load.get("backlog", 0.0) == _backlog
        and Case.objects.count() == cases
        and SlaTimer.objects.exists()
    )


def seed_bench_database(cases: int) -> float | None:
    """Load the benchmark data unless it is there already; the seconds the load took, or None."""
    from django.core.management import call_command

    from cases.models import Case

    if load_is_current(cases):
        return None
    started = time.monotonic()
    call_command(
        "seed_demo",
        cases=cases,
        seed=BENCH_SEED,
        backlog=_backlog,
        reset=Case.objects.exists(),
        stdout=io.StringIO(),
    )
    return round(time.monotonic() - started, 1)


def load_as_of() -> datetime:
    """The ``as_of`` of the current load: the instant its SLA history was swept up to."""
    return datetime.fromisoformat(last_load()["as_of"])
