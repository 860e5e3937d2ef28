"""Calendar versions are history that SLA timers are pinned to: the database refuses to change them."""

from django.db import migrations

from audit.triggers import append_only


class Migration(migrations.Migration):
    dependencies = [("people", "0002_calendar_versions_notifications"), ("audit", "0003_append_only_trigger")]
    operations = [append_only("people_businesscalendarversion")]
