"""SLA policy versions are history that timers are pinned to: the database refuses to change them."""

from django.db import migrations

from audit.triggers import append_only


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_service_sla"), ("audit", "0003_append_only_trigger")]
    operations = [append_only("cases_slapolicyversion")]
