"""Append-only tables in the database itself, for migrations.

``escdesk_reject_change()`` (audit migration 0003) raises on any row UPDATE or DELETE; each
append-only table gets a row trigger calling it. PostgreSQL only: the quickstart's SQLite
relies on the services alone. TRUNCATE stays possible (the test runner flushes with it).
"""

from __future__ import annotations

from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    """A migration operation that makes ``table`` append-only (and undoes it on reverse)."""
    trigger = f"{table}_append_only"

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION escdesk_reject_change();"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table};")

    return migrations.RunPython(forward, backward)
