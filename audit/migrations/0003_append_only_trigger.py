"""On PostgreSQL, make the ledger append-only in the database itself.

Row-level triggers reject UPDATE and DELETE whoever asks (the app, the admin, a psql session
without superuser tricks). TRUNCATE is a separate, privileged operation and is left to the
database's own permissions (the test runner flushes tables with it between tests).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION escdesk_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION escdesk_reject_change();
"""

BACKWARD = "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
