from django.db import migrations, models

# Rows written before the column existed get the payload their hash was computed from. The
# ledger refuses UPDATEs, so the trigger is lifted for this one backfill and put back.
TRIGGER = "audit_auditevent_append_only"


def backfill(apps, schema_editor):
    from audit.services import canonical_fields

    AuditEvent = apps.get_model("audit", "AuditEvent")
    columns = ("occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after",
               "request_id")  # fmt: skip
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    batch = []
    for pk, *fields in AuditEvent.objects.filter(payload="").values_list("pk", *columns).iterator(chunk_size=5000):
        batch.append(AuditEvent(pk=pk, payload=canonical_fields(*fields)))
        if len(batch) == 5000:
            AuditEvent.objects.bulk_update(batch, ["payload"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["payload"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_ledger_filter_indexes")]

    operations = [
        migrations.AddField(model_name="auditevent", name="payload", field=models.TextField(default="")),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
