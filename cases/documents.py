"""ID documents on cases: checked uploads into private storage and audited downloads.

Files live in ``settings.STORAGES["documents"]``, a directory outside the web root that no URL
pattern or WhiteNoise serves; the only way out is ``document_open_for_download``, which checks
access on every call and appends an audit event before a byte is returned.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.core.files.storage import storages
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from audit.services import audit_record
from cases.access import can_edit_case, get_case_for_user
from cases.errors import CaseError
from cases.models import Attachment, AttachmentKind, Case
from people.roles import ORG_WIDE_READERS, role_of

# What ID documents may be, recognised by their first bytes (never by name or browser type),
# with the extension a download gets.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
_SNIFF_BYTES = 16
# A file name keeps letters, digits, spaces, dots, dashes and underscores; the rest become "_".
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9 ._-]")
_NAME_MAX = 100


class DocumentRefused(CaseError):
    """The upload was refused; nothing was stored."""


def sniff_document_type(head: bytes) -> tuple[str, str] | None:
    """``(content_type, extension)`` of a PDF, JPEG or PNG from its first bytes, else None."""
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def clean_document_name(name: str, extension: str) -> str:
    """The uploader's file name made safe to show and to offer on download.

    A name carrying a path (``../../etc/passwd``, ``C:\\x\\id.pdf``) is refused rather than
    guessed at; the extension always matches the detected content.
    """
    name = (name or "").strip()
    if not name or "/" in name or "\\" in name or "\x00" in name or name.startswith(".") or ".." in name:
        raise DocumentRefused("The file name must be a plain name without a folder path; nothing was stored.")
    stem = PurePosixPath(name).stem
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip(" ._") or "document"
    return stem[: _NAME_MAX - len(extension)] + extension


def may_upload_documents(user, case: Case) -> bool:
    """Case workers of the case's team, on ID-verification cases."""
    return can_edit_case(user, case) and case.category.code in settings.ID_DOCUMENT_CATEGORIES


def may_download_documents(user, case: Case) -> bool:
    """Who needs ID documents: the case's team workers, compliance, FIU and auditors.

    Admins never (they see no case data); a worker who may only read the case (it was
    escalated to their team) does not either.
    """
    return role_of(user) in ORG_WIDE_READERS or can_edit_case(user, case)


def _storage():
    return storages["documents"]


def document_upload(*, actor, case: Case, upload, now: datetime | None = None) -> Attachment:
    """Store an uploaded ID document on ``case`` and record who added it (audited).

    Checks, each refusing with ``DocumentRefused`` and storing nothing: the uploader may add
    documents to this case; the size is above zero and within ``DOCUMENT_MAX_BYTES``; the name
    is a plain file name; the bytes are a PDF, JPEG or PNG. The SHA-256 is of the bytes as
    received. If the database row or its audit event cannot be written, the stored file is
    removed again.
    """
    if not may_upload_documents(actor, case):
        raise PermissionDenied("Only workers of this case's team add ID documents, on ID-verification cases.")
    size = upload.size or 0
    if size <= 0:
        raise DocumentRefused("The file is empty; nothing was stored.")
    limit = settings.DOCUMENT_MAX_BYTES
    if size > limit:
        raise DocumentRefused(f"The file is larger than {limit // (1024 * 1024)} MB; nothing was stored.")
    upload.seek(0)
    detected = sniff_document_type(upload.read(_SNIFF_BYTES))
    if detected is None:
        raise DocumentRefused("Only PDF, JPEG and PNG files are accepted (checked by content); nothing was stored.")
    content_type, extension = detected
    filename = clean_document_name(upload.name, extension)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    # A random name, so nothing about the customer or the upload shows in the file system.
    storage = _storage()
    stored = storage.save(f"{case.pk}/{uuid.uuid4().hex}", File(upload))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                case=case,
                kind=AttachmentKind.ID_DOCUMENT,
                uploaded_by=actor,
                uploaded_at=now or timezone.now(),
                filename=filename,
                content_type=content_type,
                size=size,
                sha256=digest.hexdigest(),
                storage_name=stored,
            )
            audit_record(
                actor=actor,
                action="document.upload",
                object_type="attachment",
                object_id=attachment.pk,
                after={
                    "case": case.reference,
                    "filename": filename,
                    "content_type": content_type,
                    "size": size,
                    "sha256": attachment.sha256,
                },
            )
    except BaseException:
        storage.delete(stored)
        raise
    return attachment


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    file: File


@transaction.atomic
def document_open_for_download(*, user, reference: str, attachment_id: int) -> Download:
    """Open one of a case's documents for ``user``, checking access now (not when the page
    was rendered) and appending a "document.download" audit event first (fail closed).

    404 if the case is invisible to the user or the document is not that case's; 403 if they
    may read the case but not its documents.
    """
    case = get_case_for_user(user, reference, queryset=Case.objects.select_related("category"))
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such document.")
    if not may_download_documents(user, case):
        raise PermissionDenied("Your role does not open ID documents.")
    audit_record(
        actor=user,
        action="document.download",
        object_type="attachment",
        object_id=attachment.pk,
        after={"case": case.reference, "sha256": attachment.sha256},
    )
    return Download(attachment=attachment, file=_storage().open(attachment.storage_name, "rb"))


@dataclass(frozen=True)
class DocumentPanel:
    template: str
    documents: list[Attachment]
    can_upload: bool
    can_download: bool
    max_mb: int


def document_panel(user, case: Case) -> DocumentPanel | None:
    """The case page's ID documents panel, for ID-verification cases only (one query)."""
    if case.category.code not in settings.ID_DOCUMENT_CATEGORIES:
        return None
    can_download = may_download_documents(user, case)
    documents = list(case.attachments.select_related("uploaded_by").order_by("uploaded_at", "id"))
    return DocumentPanel(
        template="cases/_documents_panel.html",
        documents=documents,
        can_upload=may_upload_documents(user, case),
        can_download=can_download,
        max_mb=settings.DOCUMENT_MAX_BYTES // (1024 * 1024),
    )
