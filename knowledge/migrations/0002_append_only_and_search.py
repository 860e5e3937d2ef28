from django.db import migrations

from audit.triggers import append_only

APPEND_ONLY = [
    "knowledge_documentversion",
    "knowledge_versionlink",
    "knowledge_versionsubmission",
    "knowledge_versionreview",
    "knowledge_publication",
    "knowledge_acknowledgement",
    "knowledge_scorecardscore",
]


def search_index(apps, schema_editor):
    # The library search: current versions matching a full-text query (PostgreSQL only; the
    # quickstart's SQLite matches words with LIKE instead).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX knowledge_version_search_idx ON knowledge_documentversion USING gin (search)"
        )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_version_search_idx")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial"), ("audit", "0003_append_only_trigger")]
    operations = [
        migrations.RunPython(search_index, drop_search_index),
        *[append_only(table) for table in APPEND_ONLY],
    ]
