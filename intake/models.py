from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models import Case


class IntakeRecord(models.Model):
    """A ticket an upstream system sent us and the case it became.

    ``(source, external_id)`` is the ticket's identity upstream: one case per ticket, however
    often it is sent. ``idempotency_key`` (per caller) makes a retried request return what the
    first one did; ``request_hash`` tells a retry from a different request reusing a key.
    """

    source = models.CharField(max_length=50)
    external_id = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_records")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="intake_record_external_unique"),
            models.UniqueConstraint(
                fields=["actor", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="intake_record_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class CfpbImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CfpbImport(models.Model):
    """One run of the CFPB import: who started it, the file, and what each row became.

    ``report`` is a list of ``{"line", "complaint_id", "outcome", "reason", "case"}``, one per
    data row, with ``outcome`` one of created, updated, unchanged, rejected.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    # The uploaded file as text (decoded and checked before the run was queued).
    source_text = models.TextField(blank=True)
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=CfpbImportStatus.choices, default=CfpbImportStatus.QUEUED)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # Why the whole file was refused (missing columns, not UTF-8, not CSV); rows are then untouched.
    error = models.TextField(blank=True)
    report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CfpbImportStatus.values), name="intake_cfpb_import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


class CfpbComplaint(models.Model):
    """A CFPB complaint as the export last described it, and the case and flag it became.

    One row per Complaint ID, so importing the same export twice never duplicates a case.
    """

    complaint_id = models.PositiveBigIntegerField(unique=True)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="cfpb_complaint")
    flag = models.ForeignKey(
        "compliance.RegulatoryFlag", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date_received = models.DateField()
    date_sent_to_company = models.DateField()
    product = models.CharField(max_length=200)
    sub_product = models.CharField(max_length=200, blank=True)
    issue = models.CharField(max_length=300)
    sub_issue = models.CharField(max_length=300, blank=True)
    company = models.CharField(max_length=200)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10, blank=True)
    tags = models.CharField(max_length=100, blank=True)
    submitted_via = models.CharField(max_length=50)
    company_response = models.CharField(max_length=100, blank=True)
    timely_response = models.CharField(max_length=10, blank=True)
    # Digest of the row as imported: an identical row in a later export changes nothing.
    row_hash = models.CharField(max_length=64)
    imported_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["complaint_id"]

    def __str__(self) -> str:
        return f"CFPB {self.complaint_id}"
