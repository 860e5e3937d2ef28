from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "CS lead"
    SPECIALIST = "specialist", "Specialist"
    COMPLIANCE = "compliance", "Compliance reviewer"
    FIU = "fiu", "FIU / BSA officer"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


class TeamKind(models.TextChoices):
    FRONTLINE = "frontline", "Frontline (L1)"
    LEADS = "leads", "CS leads (L2)"
    COMPLIANCE = "compliance", "Compliance"
    CDD = "cdd", "CDD / KYC"
    FRAUD = "fraud", "Fraud & scam"
    OPS = "ops", "Operations"
    LEGAL = "legal", "Legal"
    PRODUCT = "product", "Product"
    FIU = "fiu", "FIU"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
