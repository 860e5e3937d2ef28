"""SLA policy versions are history that timers are pinned to: the database refuses to change them."""

from django.db import migrations

TRIGGER = """
CREATE TRIGGER cases_slapolicyversion_append_only
    BEFORE UPDATE OR DELETE ON cases_slapolicyversion
    FOR EACH ROW EXECUTE FUNCTION escdesk_reject_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_slapolicyversion_append_only ON cases_slapolicyversion;")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_service_sla"), ("audit", "0003_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
