from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class FlagKind(models.TextChoices):
    SCAM_FRAUD = "scam_fraud", "Scam / fraud"
    ID_VERIFICATION = "id_verification", "ID verification problem"
    UNAUTHORIZED_TRANSFER = "unauthorized_transfer", "Unauthorized transfer (Reg E notice of error)"
    REGULATOR_COMPLAINT = "regulator_complaint", "Regulator complaint"
    SANCTIONS_MATCH = "sanctions_match", "Sanctions screening match"
    ELDER_EXPLOITATION = "elder_exploitation", "Elder financial exploitation"
    LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement request"
    VULNERABLE_CUSTOMER = "vulnerable_customer", "Vulnerable customer"


class FlagStatus(models.TextChoices):
    """Raised → in review (evidence frozen) → signed off; a change to the evidence sends a
    signed-off flag back to review."""

    RAISED = "raised", "Raised"
    IN_REVIEW = "in_review", "In review"
    SIGNED_OFF = "signed_off", "Signed off"


# Flags that still stop a case from being resolved or closed.
UNSIGNED_FLAG_STATUSES = (FlagStatus.RAISED, FlagStatus.IN_REVIEW)


@dataclass(frozen=True)
class Fact:
    """One fact a flag of some kind must carry: its key, what the form calls it, and its type."""

    key: str
    label: str
    kind: str  # "text", "date", "decimal", "bool", or "choice"
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = True


SCAM_TYPES = (
    ("credential_compromise", "Credential compromise (someone else moved the funds)"),
    ("authorized_push_payment", "Authorized push payment (the customer was tricked into sending)"),
)
ID_PROBLEMS = (("expired", "Document expired"), ("altered", "Document altered"), ("mismatch", "Details do not match"),
               ("unreadable", "Document unreadable"), ("other", "Other"))  # fmt: skip
NOTICE_FORMS = (("oral", "Oral"), ("written", "Written"))
TRANSFER_LEGS = (("fiat", "Fiat"), ("crypto", "Crypto"))
REGULATORS = (("cfpb", "CFPB"), ("afca", "AFCA"), ("state", "State regulator"), ("other", "Other"))

# What each kind of flag must record before it can be raised.
FACTS: dict[str, tuple[Fact, ...]] = {
    FlagKind.SCAM_FRAUD: (
        Fact("scam_type", "What happened", "choice", SCAM_TYPES),
        Fact("amount", "Amount lost", "decimal"),
        Fact("asset", "Asset or currency", "text"),
    ),
    FlagKind.ID_VERIFICATION: (Fact("problem", "Problem with the document", "choice", ID_PROBLEMS),),
    FlagKind.UNAUTHORIZED_TRANSFER: (
        Fact("notice_date", "Notice of error received on", "date"),
        Fact("notice_form", "Notice given", "choice", NOTICE_FORMS),
        Fact("transfer_date", "Transfer date", "date"),
        Fact("amount", "Amount", "decimal"),
        Fact("leg", "Fiat or crypto leg", "choice", TRANSFER_LEGS),
        Fact("new_account", "Account's first deposit less than 30 days before the notice", "bool", required=False),
        Fact("foreign_initiated", "Foreign-initiated transfer", "bool", required=False),
        Fact("pos", "Point-of-sale debit card transaction", "bool", required=False),
    ),
    FlagKind.REGULATOR_COMPLAINT: (
        Fact("regulator", "Regulator", "choice", REGULATORS),
        Fact("received_date", "Received by the company on", "date"),
    ),
    FlagKind.SANCTIONS_MATCH: (
        Fact("list_name", "Sanctions list", "text"),
        Fact("match_score", "Match score (0-100)", "decimal"),
    ),
    FlagKind.ELDER_EXPLOITATION: (Fact("concern", "What raised the concern", "text"),),
    FlagKind.LAW_ENFORCEMENT: (
        Fact("agency", "Requesting agency", "text"),
        Fact("request_date", "Request received on", "date"),
    ),
    FlagKind.VULNERABLE_CUSTOMER: (Fact("circumstance", "Circumstance", "text"),),
}

# Kinds whose sign-off always needs two distinct reviewers (sanctions clearance).
TWO_REVIEWER_KINDS = frozenset({FlagKind.SANCTIONS_MATCH})


# What meets each obligation, as the case worker reads it (``Obligation.satisfied_by`` codes).
SATISFIED_BY = {
    "investigation_completed": "the investigation is completed and its outcome recorded",
    "provisional_credit_notice_sent": "the provisional-credit notice is sent to the customer",
    "results_notice_sent": "the results notice is sent to the customer",
    "company_response_sent": "the company's response is sent through the CFPB portal",
    "final_response_sent": "the final response is sent to the consumer",
    "sar_filed": "the SAR is filed",
    "blocking_report_filed": "the blocking report is filed with OFAC",
    "reject_report_filed": "the reject report is filed with OFAC",
    "complaint_acknowledged": "the complaint is acknowledged to the customer",
    "idr_response_sent": "the IDR response (or a delay notice) is sent",
    "afca_response_sent": "the response is lodged with AFCA",
    "smr_submitted": "the SMR is submitted to AUSTRAC",
}
