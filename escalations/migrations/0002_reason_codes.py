"""The escalation reason taxonomy exists in every environment (product data, not demo data)."""

from django.db import migrations

REASON_CODES = [
    ("regulator_complaint_threat", "Customer threatens a regulator complaint", "high"),
    ("account_takeover_suspected", "Suspected account takeover", "critical"),
    ("id_verification_stuck", "ID verification stuck", "normal"),
    ("withdrawal_delayed", "Withdrawal delayed beyond the published time", "high"),
    ("scam_reported", "Customer reports a scam or fraud", "high"),
    ("unauthorized_transfer", "Transfer the customer did not authorise", "critical"),
    ("vip_customer", "VIP or institutional customer", "high"),
    ("repeated_contact", "Repeated contact about the same problem", "normal"),
    ("agent_out_of_depth", "Needs more expertise than L1 has", "normal"),
    ("legal_request", "Legal or law-enforcement request", "high"),
    ("product_defect", "Suspected product defect", "normal"),
    ("sla_breach", "Service SLA breached", "high"),
]


def forward(apps, schema_editor):
    ReasonCode = apps.get_model("escalations", "ReasonCode")
    for position, (code, label, urgency) in enumerate(REASON_CODES):
        ReasonCode.objects.update_or_create(
            code=code, defaults={"label": label, "default_urgency": urgency, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("escalations", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
