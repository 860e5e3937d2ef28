"""ID document pages: upload to a case, download through an access check (never a media URL)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from cases.access import get_case_for_user
from cases.documents import DocumentRefused, document_open_for_download, document_upload
from cases.selectors import case_get_for_page


@require_POST
def document_upload_view(request, reference: str) -> HttpResponse:
    from cases.views import _render_case

    case = get_case_for_user(request.user, reference, for_write=True)
    upload = request.FILES.get("document")
    if upload is None:
        messages.error(request, "Choose a file to upload.")
        return _render_case(request, case_get_for_page(user=request.user, reference=reference), status=400)
    try:
        attachment = document_upload(actor=request.user, case=case, upload=upload)
    except DocumentRefused as exc:
        messages.error(request, exc.message)
        return _render_case(request, case_get_for_page(user=request.user, reference=reference), status=400)
    messages.success(request, f"Uploaded {attachment.filename} (SHA-256 {attachment.sha256[:12]}…).")
    return redirect("cases:detail", reference=reference)


@require_GET
def document_download_view(request, reference: str, pk: int) -> HttpResponse:
    download = document_open_for_download(user=request.user, reference=reference, attachment_id=pk)
    attachment = download.attachment
    response = FileResponse(
        download.file, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Never kept by a shared cache or the browser's back/forward cache.
    response["Cache-Control"] = "private, no-store"
    return response
