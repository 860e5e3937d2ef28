"""The CFPB import page (leads and compliance): upload an export, then read its report."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from intake.cfpb import MAX_FILE_BYTES, CfpbFileError, cfpb_import_create
from intake.forms import CfpbUploadForm
from intake.models import CfpbImport
from people.choices import Role
from people.models import Team
from people.roles import role_of

IMPORTERS = frozenset({Role.LEAD, Role.COMPLIANCE})
RECENT_RUNS = 20


def _require_importer(user) -> None:
    if role_of(user) not in IMPORTERS:
        raise PermissionDenied("Regulator complaint imports are for CS leads and compliance.")


def _teams():
    return Team.objects.filter(memberships__user__username=settings.CFPB_IMPORT_USERNAME).order_by("name")


@require_http_methods(["GET", "POST"])
def cfpb_import(request):
    _require_importer(request.user)
    form = CfpbUploadForm(request.POST or None, request.FILES or None, teams=_teams())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_FILE_BYTES:
                form.add_error("file", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
            else:
                try:
                    run = cfpb_import_create(
                        actor=request.user, filename=upload.name, raw=upload.read(), team=form.cleaned_data["team"]
                    )
                except CfpbFileError as exc:
                    form.add_error("file", exc.message)
                else:
                    messages.success(request, f"{upload.name} is being imported; this page shows the report.")
                    return redirect("intake:cfpb_run", pk=run.pk)
        status = 400
    runs = CfpbImport.objects.select_related("started_by", "team").defer("source_text", "report")[:RECENT_RUNS]
    return render(request, "intake/cfpb_import.html", {"form": form, "runs": runs}, status=status)


@require_GET
def cfpb_run(request, pk: int):
    _require_importer(request.user)
    run = CfpbImport.objects.select_related("started_by", "team").defer("source_text").filter(pk=pk).first()
    if run is None:
        raise Http404("No such import.")
    outcome = request.GET.get("outcome", "")
    rows = [row for row in run.report if not outcome or row["outcome"] == outcome]
    return render(request, "intake/cfpb_run.html", {"run": run, "rows": rows, "outcome": outcome})
