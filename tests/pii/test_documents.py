"""ID documents: checked uploads into private storage, downloads through an access check, audited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse

from audit.models import AuditEvent
from cases import registry
from cases.documents import DocumentRefused, document_upload
from cases.models import Attachment
from people.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path / "private"


def _upload(client, case, content: bytes, name: str = "passport.pdf", content_type: str = "application/pdf"):
    document = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(reverse("cases:document_upload", args=[case.reference]), {"document": document})


def test_a_case_worker_uploads_a_pdf_its_hash_is_stored_and_the_file_is_private(
    client_for, agent, kyc_case, private_storage
):
    response = _upload(client_for(agent), kyc_case, PDF)

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.filename == "passport.pdf"
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF))
    stored = private_storage / attachment.storage_name
    assert stored.read_bytes() == PDF
    # Outside the web root: not under the static directories, and no URL leads to it.
    for web_root in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not stored.resolve().is_relative_to(web_root.resolve())
    assert "passport" not in attachment.storage_name
    for url in (f"/media/{attachment.storage_name}", f"/static/{attachment.storage_name}"):
        with pytest.raises(Resolver404):
            resolve(url)
    assert AuditEvent.objects.filter(action="document.upload", object_id=str(attachment.pk)).exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.pdf", "The file is empty"),
        (EXE, "passport.pdf", "Only PDF, JPEG and PNG files are accepted"),
        (EXE, "passport.exe", "Only PDF, JPEG and PNG files are accepted"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_stored(
    client_for, agent, kyc_case, private_storage, content, name, message
):
    response = _upload(client_for(agent), kyc_case, content, name=name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in private_storage.rglob("*"))


@pytest.mark.parametrize("name", ["../../etc/passport.pdf", "..\\..\\passport.pdf", "/var/www/passport.pdf"])
def test_a_path_in_the_name_is_stripped_on_the_way_in(client_for, agent, kyc_case, private_storage, name):
    assert _upload(client_for(agent), kyc_case, PDF, name=name).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.filename == "passport.pdf"
    assert (private_storage / attachment.storage_name).resolve().is_relative_to(private_storage.resolve())


@pytest.mark.parametrize("name", ["../../etc/passport.pdf", "C:\\Users\\id.pdf", ".hidden.pdf", "a/b.pdf", "x\x00.pdf"])
def test_the_service_refuses_a_name_carrying_a_path(agent, kyc_case, name):
    upload = SimpleUploadedFile("placeholder.pdf", PDF, content_type="application/pdf")
    upload._name = name  # past the basename UploadedFile applies, as another caller might
    with pytest.raises(DocumentRefused, match="without a folder path"):
        document_upload(actor=agent, case=kyc_case, upload=upload)
    assert not Attachment.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(client_for, agent, kyc_case, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    response = _upload(client_for(agent), kyc_case, PDF + b"0" * 1024)

    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_stored_name_takes_the_extension_of_the_content(client_for, agent, kyc_case):
    _upload(client_for(agent), kyc_case, PNG, name="scan of id (front).pdf", content_type="application/pdf")
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("scan of id _front.png", "image/png")


def test_uploads_are_for_id_verification_cases_and_their_teams_workers(client_for, agent, jane_case, kyc_case, auditor):
    assert _upload(client_for(agent), jane_case, PDF).status_code == 403
    assert _upload(client_for(auditor), kyc_case, PDF).status_code == 403
    assert not Attachment.objects.exists()


@pytest.fixture
def document(client_for, agent, kyc_case):
    _upload(client_for(agent), kyc_case, PDF)
    return Attachment.objects.get()


def _download(client, case, attachment_id):
    return client.get(reverse("cases:document_download", args=[case.reference, attachment_id]))


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.COMPLIANCE, Role.FIU, Role.AUDITOR])
def test_roles_that_need_id_documents_download_them_as_an_attachment_and_it_is_audited(
    client_for, team, kyc_case, document, role
):
    user = UserFactory(role=role, teams=[team] if role in (Role.AGENT, Role.LEAD) else [])

    response = _download(client_for(user), kyc_case, document.pk)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="passport.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="document.download", actor=user)
    assert event.object_id == str(document.pk) and event.after["sha256"] == document.sha256


def test_outsiders_and_admins_get_404_and_a_read_only_reader_403(
    client_for, kyc_case, document, outsider, admin_user, specialist, monkeypatch
):
    from django.db.models import Q

    assert _download(client_for(outsider), kyc_case, document.pk).status_code == 404
    assert _download(client_for(admin_user), kyc_case, document.pk).status_code == 404
    # A specialist whose team may read the case (e.g. it was escalated to them) but not work it.
    monkeypatch.setattr(registry, "visibility_grants", [lambda user: Q(pk=kyc_case.pk)])
    assert _download(client_for(specialist), kyc_case, document.pk).status_code == 403
    assert not AuditEvent.objects.filter(action="document.download").exists()


def test_a_document_is_only_reachable_through_its_own_case(client_for, agent, team, document, jane):
    from tests.factories import CaseFactory, CategoryFactory

    other = CaseFactory(team=team, customer=jane, category=CategoryFactory(code="kyc"))
    assert _download(client_for(agent), other, document.pk).status_code == 404
    assert _download(client_for(agent), other, 999999).status_code == 404


def test_access_is_checked_on_every_request(client_for, agent, kyc_case, document):
    client = client_for(agent)
    assert _download(client, kyc_case, document.pk).status_code == 200
    agent.memberships.all().delete()
    assert _download(client, kyc_case, document.pk).status_code == 404


def test_the_case_page_lists_documents_with_download_links(client_for, agent, auditor, kyc_case, document):
    agent_page = client_for(agent).get(reverse("cases:detail", args=[kyc_case.reference])).content.decode()
    assert "ID documents" in agent_page and 'enctype="multipart/form-data"' in agent_page
    assert reverse("cases:document_download", args=[kyc_case.reference, document.pk]) in agent_page
    auditor_page = client_for(auditor).get(reverse("cases:detail", args=[kyc_case.reference])).content.decode()
    assert "passport.pdf" in auditor_page and 'enctype="multipart/form-data"' not in auditor_page
