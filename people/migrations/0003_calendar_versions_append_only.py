"""Calendar versions are history that SLA timers are pinned to: the database refuses to change them."""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER people_businesscalendarversion_append_only
    BEFORE UPDATE OR DELETE ON people_businesscalendarversion
    FOR EACH ROW EXECUTE FUNCTION escdesk_reject_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS people_businesscalendarversion_append_only ON people_businesscalendarversion;"
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0002_calendar_versions_notifications"), ("audit", "0003_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
