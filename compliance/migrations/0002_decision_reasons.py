"""The decision-reason taxonomy exists in every environment (product data, maintained in admin)."""

from django.db import migrations

ALL = [
    "scam_fraud", "id_verification", "unauthorized_transfer", "regulator_complaint", "sanctions_match",
    "elder_exploitation", "law_enforcement", "vulnerable_customer",
]  # fmt: skip
REASONS = [
    # code, label, kinds, needs two reviewers
    ("confirmed_fraud_reimburse", "Confirmed fraud – reimburse", ["scam_fraud", "unauthorized_transfer"], False),
    ("confirmed_fraud_not_covered", "Confirmed fraud – not covered", ["scam_fraud", "unauthorized_transfer"], False),
    ("no_error_found", "No error found", ["unauthorized_transfer"], False),
    ("id_rejected_expired", "ID document rejected: expired", ["id_verification"], False),
    ("id_rejected_altered", "ID document rejected: altered", ["id_verification"], False),
    ("id_rejected_mismatch", "ID document rejected: mismatch", ["id_verification"], False),
    ("id_accepted", "ID document accepted", ["id_verification"], False),
    ("sanctions_false_positive", "Sanctions false positive – clear", ["sanctions_match"], False),
    ("sanctions_confirmed_block", "Sanctions match confirmed – block", ["sanctions_match"], False),
    ("complaint_resolved", "Complaint resolved with the customer", ["regulator_complaint"], False),
    ("complaint_not_upheld", "Complaint not upheld", ["regulator_complaint"], False),
    ("elder_protective_steps", "Protective steps taken for an older customer", ["elder_exploitation"], False),
    ("law_enforcement_answered", "Law-enforcement request answered", ["law_enforcement"], False),
    ("vulnerable_support_plan", "Support plan agreed for a vulnerable customer", ["vulnerable_customer"], False),
    ("refer_to_fiu", "Refer to FIU", ALL, False),
    ("account_offboarding", "Off-board the account", ALL, True),
    ("goodwill_payment_large", "Goodwill payment above the threshold",
     ["scam_fraud", "unauthorized_transfer", "regulator_complaint"], True),
]  # fmt: skip


def forward(apps, schema_editor):
    DecisionReason = apps.get_model("compliance", "DecisionReason")
    for position, (code, label, kinds, two) in enumerate(REASONS):
        DecisionReason.objects.update_or_create(
            code=code, defaults={"label": label, "kinds": kinds, "needs_two_reviewers": two, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
