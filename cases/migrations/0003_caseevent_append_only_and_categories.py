"""The case timeline is append-only in the database too, and the category taxonomy exists
in every environment (it is product data, not demo data)."""

from django.db import migrations

from audit.triggers import append_only

CATEGORIES = [
    ("account-access", "Account access / 2FA", "Locked out, 2FA reset, password, new device", False),
    ("deposits", "Deposits", "Fiat or crypto deposits missing, delayed or returned", False),
    ("withdrawals", "Withdrawals", "Withdrawals delayed, failed or held", False),
    ("kyc", "KYC / ID verification", "Identity checks, documents, verification limits", True),
    ("scam-fraud", "Scam / fraud", "Scams, impersonation, account takeover reports", True),
    ("unauthorized-transfer", "Unauthorized transfer", "Transfers the customer did not authorise (Reg E notice of error)", True),
    ("trading", "Trading and orders", "Orders, fills, market data, staking", False),
    ("card", "Card", "Debit card payments, disputes, declines", True),
    ("p2p", "P2P", "Peer-to-peer trades and disputes", False),
    ("fees", "Fees", "Fee questions and refunds", False),
    ("tax-documents", "Tax documents", "1099 forms, tax reports, cost basis", False),
    ("account-closure", "Account closure", "Closing an account, off-boarding, restrictions", True),
    ("complaint", "Complaint", "Formal complaints, including regulator referrals (CFPB, AFCA)", True),
]

def forward(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for position, (code, name, description, sensitive) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "regulatory_sensitive": sensitive, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial"), ("audit", "0003_append_only_trigger")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop), append_only("cases_caseevent")]
