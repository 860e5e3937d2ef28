"""Knowledge pages: parse, authorize, call one service or selector, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from compliance.choices import FlagKind
from knowledge import qa, selectors, services
from knowledge.choices import PLACEHOLDERS, DocKind, ReviewDecision, RubricItem, VersionState
from knowledge.errors import KnowledgeError
from knowledge.forms import DocumentForm, ResponseForm, ReviewForm, ScorecardForm, VersionForm
from knowledge.models import Document, DocumentVersion, Scorecard
from knowledge.rendering import version_diff
from people.roles import ORG_WIDE_READERS, can_triage, role_of


def _require_reader(user) -> None:
    if not selectors.can_read_library(user):
        raise PermissionDenied("Your role does not use the SOP library.")


def _require_author(user) -> None:
    if role_of(user) not in services.AUTHOR_ROLES:
        raise PermissionDenied("Only leads write SOPs, quick guides and reply templates.")


def _document(slug: str) -> Document:
    document = selectors.document_get(slug=slug)
    if document is None:
        raise Http404("No such document.")
    return document


def _version(document: Document, number: int) -> DocumentVersion:
    version = (
        DocumentVersion.objects.filter(document=document, number=number)
        .select_related("document", "created_by")
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


@require_GET
def library(request):
    _require_reader(request.user)
    query, kind = request.GET.get("q", "")[:200], request.GET.get("kind", "")
    context = {
        "results": selectors.library_search(user=request.user, query=query, kind=kind),
        "query": query,
        "kind": kind,
        "kinds": DocKind.choices,
        "pending": selectors.pending_for(request.user),
        "can_write": role_of(request.user) in services.AUTHOR_ROLES,
    }
    return render(request, "knowledge/library.html", context)


@require_http_methods(["GET", "POST"])
def document_new(request):
    _require_author(request.user)
    form = DocumentForm(request.POST or None, initial={"kind": request.GET.get("kind", DocKind.SOP)})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = services.document_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    draft=form.draft(),
                    script_kind=form.cleaned_data["script_kind"],
                )
            except KnowledgeError as exc:
                form.add_service_errors(exc.problems, fallback=exc.message)
            else:
                messages.success(request, f"Saved {version.title} v1 as a draft.")
                return redirect("knowledge:document", slug=version.document.slug)
    context = {"form": form, "document": None, "placeholders": PLACEHOLDERS}
    return render(request, "knowledge/document_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def version_new(request, slug: str):
    _require_author(request.user)
    document = _document(slug)
    latest = document.versions.order_by("-number").first()
    form = VersionForm(request.POST or None, initial=VersionForm.initial_for(latest) if latest else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = services.version_create(actor=request.user, document=document, draft=form.draft())
            except KnowledgeError as exc:
                form.add_service_errors(exc.problems, fallback=exc.message)
            else:
                messages.success(request, f"Saved v{version.number} as a draft.")
                return redirect("knowledge:document", slug=document.slug)
    context = {"form": form, "document": document, "placeholders": PLACEHOLDERS}
    return render(request, "knowledge/document_form.html", context, status=status)


@require_GET
def document_detail(request, slug: str):
    _require_reader(request.user)
    document = _document(slug)
    versions = selectors.document_versions(document=document)
    current = next((v for v in versions if v.state == VersionState.CURRENT), None)
    trainee = selectors.is_trainee(request.user)
    acked = set()
    if current is not None:
        acked = set(document.acknowledgements.filter(agent=request.user).values_list("version_number", flat=True))
    context = {
        "document": document,
        "versions": versions,
        "current": current,
        "html": selectors.version_html(current) if current else "",
        "acked_current": current is not None and current.number in acked,
        "trained": any(n >= document.required_number for n in acked) if acked else False,
        "can_acknowledge": trainee or role_of(request.user) == "lead",
        "can_write": role_of(request.user) in services.AUTHOR_ROLES,
        "can_review": role_of(request.user) in services.REVIEWER_ROLES,
        "script_label": FlagKind(document.script_kind).label if document.script_kind else "",
    }
    return render(request, "knowledge/document.html", context)


@require_GET
def version_detail(request, slug: str, number: int):
    _require_reader(request.user)
    document = _document(slug)
    version = _version(document, number)
    versions = {v.number: v for v in selectors.document_versions(document=document)}
    version = versions[version.number]
    current = document.current_version
    diff = []
    if current is not None and current.pk != version.pk:
        diff = version_diff(
            version.body, current.body, old_label=f"v{version.number}", new_label=f"v{current.number} (current)"
        )
    context = {
        "document": document,
        "version": version,
        "html": selectors.version_html(version),
        "current": current,
        "diff": diff,
        "review_form": ReviewForm(),
        "can_write": role_of(request.user) in services.AUTHOR_ROLES,
        "can_review": role_of(request.user) in services.REVIEWER_ROLES,
        "states": VersionState,
    }
    return render(request, "knowledge/version.html", context)


def _back(slug: str, number: int | None = None):
    if number is None:
        return redirect("knowledge:document", slug=slug)
    return redirect("knowledge:version", slug=slug, number=number)


@require_POST
def version_publish(request, slug: str, number: int):
    _require_author(request.user)
    version = _version(_document(slug), number)
    try:
        version = services.version_publish(actor=request.user, version=version)
    except KnowledgeError as exc:
        messages.error(request, exc.message)
        return _back(slug, number)
    if hasattr(version, "publication"):
        messages.success(request, f"Published v{version.number}.")
    else:
        messages.success(request, f"Sent v{version.number} to compliance; it is published when approved.")
    return _back(slug)


@require_POST
def version_review(request, slug: str, number: int):
    if role_of(request.user) not in services.REVIEWER_ROLES:
        raise PermissionDenied("Only compliance reviewers approve SOPs and reply templates.")
    version = _version(_document(slug), number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve the version or ask for changes.")
        return _back(slug, number)
    try:
        services.version_review(
            actor=request.user, version=version, decision=form.cleaned_data["decision"], note=form.cleaned_data["note"]
        )
    except KnowledgeError as exc:
        messages.error(request, exc.message)
        return _back(slug, number)
    if form.cleaned_data["decision"] == ReviewDecision.APPROVED:
        messages.success(request, f"Approved and published v{version.number}.")
    else:
        messages.success(request, f"Asked for changes to v{version.number}.")
    return redirect("knowledge:review_queue")


@require_POST
def version_acknowledge(request, slug: str, number: int):
    _require_reader(request.user)
    version = _version(_document(slug), number)
    try:
        services.acknowledge(actor=request.user, version=version)
    except KnowledgeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Recorded: you have read and understood {version.title} v{version.number}.")
    return _back(slug)


@require_GET
def review_queue(request):
    if role_of(request.user) not in services.REVIEWER_ROLES:
        raise PermissionDenied("The approval queue is for compliance reviewers.")
    return render(request, "knowledge/review_queue.html", {"versions": selectors.review_queue()})


@require_GET
def training(request):
    if not can_triage(request.user) and role_of(request.user) not in ORG_WIDE_READERS:
        raise PermissionDenied("Training records per team are for leads.")
    return render(request, "knowledge/training.html", {"blocks": selectors.team_training(user=request.user)})


@require_GET
def mine(request):
    _require_reader(request.user)
    context = {
        "pending": selectors.pending_for(request.user),
        "acknowledgements": selectors.my_acknowledgements(request.user),
    }
    return render(request, "knowledge/mine.html", context)


@require_GET
def case_templates(request, reference: str):
    """Replies sent from a reply template, beside the exact approved wording (leads, auditors)."""
    _require_reader(request.user)
    case = get_case_for_user(request.user, reference)
    if not can_triage(request.user) and role_of(request.user) not in ORG_WIDE_READERS:
        raise PermissionDenied("Leads and auditors compare replies with their templates.")
    rows = selectors.replies_with_templates(case=case)
    return render(request, "knowledge/case_templates.html", {"case": case, "rows": rows})


# --- QA coaching ------------------------------------------------------------------------------


@require_GET
def qa_queue(request):
    if not can_triage(request.user):
        raise PermissionDenied("QA reviews are for leads.")
    samples = list(qa.qa_samples_for_review(user=request.user)[:200])
    return render(request, "knowledge/qa_queue.html", {"samples": samples})


@require_http_methods(["GET", "POST"])
def qa_score(request, pk: int):
    if not can_triage(request.user):
        raise PermissionDenied("QA reviews are for leads.")
    sample = qa.qa_samples_for_review(user=request.user).filter(pk=pk).first()
    if sample is None:
        raise Http404("No such sample.")
    form = ScorecardForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            qa.scorecard_submit(
                actor=request.user, sample=sample, scores=form.scores(), comment=form.cleaned_data["comment"]
            )
        except KnowledgeError as exc:
            status = exc.status_code
            form.add_service_errors(exc.problems, fallback=exc.message)
        else:
            messages.success(request, f"Scorecard sent to {sample.agent}.")
            return redirect("knowledge:qa_queue")
    context = {"sample": sample, "form": form, "rubric": RubricItem}
    return render(request, "knowledge/qa_score.html", context, status=status)


@require_GET
def qa_mine(request):
    _require_reader(request.user)
    return render(
        request, "knowledge/qa_mine.html", {"cards": qa.scorecards_of(agent=request.user), "form": ResponseForm()}
    )


@require_POST
def qa_respond(request, pk: int):
    card = Scorecard.objects.filter(pk=pk, agent=request.user).first()
    if card is None:
        raise Http404("No such scorecard.")
    form = ResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Acknowledge or dispute the scorecard.")
        return redirect("knowledge:qa_mine")
    try:
        qa.scorecard_respond(
            actor=request.user, scorecard=card, to_status=form.cleaned_data["to_status"],
            response=form.cleaned_data["response"],
        )  # fmt: skip
    except KnowledgeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thank you; your answer is recorded.")
    return redirect("knowledge:qa_mine")
