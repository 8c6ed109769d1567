"""The upload pages: choose a file, see what it would change, confirm; the history, revert."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.policies import can_import, importable_regions
from allocation.services import DataBusy
from imports import selectors
from imports.forms import ConfirmForm, UploadForm
from imports.models import ImportKind
from imports.services import confirm_upload, keep_upload, revert_batch
from municipalities.importing import ImportFailed, RevertRefused, WarningsNotAccepted
from municipalities.models import ImportBatch, Indicator, Region
from municipalities.tabular import MAX_COLUMNS, MAX_ROWS
from practices.models import Practice, RegisterBatch
from reports.access import reader_required


def _importer(request: HttpRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied


def _labels() -> dict[str, str]:
    """Column names in words: the indicators' labels and the practice fields' names."""
    labels = {str(k): str(v) for k, v in Indicator.choices}
    for k, v in Indicator.choices:
        labels[f"{k} · status"] = f"{v} · {_('status')}"
        labels[f"{k} · source"] = f"{v} · {_('source')}"
        labels[f"{k} · imported"] = f"{v} · {_('imported')}"
    for f in Practice._meta.get_fields():
        if hasattr(f, "verbose_name"):
            labels[f.name] = str(f.verbose_name)
    labels["kommunekode"] = _("municipality")
    labels["doctor_birth_years"] = _("doctors' birth years")
    return labels


def _regions(request: HttpRequest) -> list[Region]:
    allowed = importable_regions(request.user)
    regions = Region.objects.order_by("code")
    return list(regions if allowed is None else regions.filter(code__in=allowed))


@require_http_methods(["GET", "POST"])
@reader_required
def upload(request: HttpRequest) -> HttpResponse:
    _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        pending = keep_upload(
            user=request.user, kind=form.cleaned_data["kind"], file_name=f.name, content=f.read()
        )
        return redirect("import_preview", pk=pending.pk)
    return render(
        request,
        "imports/upload.html",
        {
            "form": form,
            "regions": _regions(request),
            "history": selectors.import_history(),
            "max_rows": MAX_ROWS,
            "max_columns": MAX_COLUMNS,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@reader_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    _importer(request)
    pending = selectors.pending_upload(pk=pk, user=request.user)
    if pending is None:
        raise Http404
    form = ConfirmForm(request.POST or None, initial={"sha256": pending.sha256})
    refused = None
    if request.method == "POST" and form.is_valid():
        try:
            applied = confirm_upload(
                upload=pending,
                user=request.user,
                sha256=form.cleaned_data["sha256"],
                accept_warnings=form.cleaned_data["accept_warnings"],
            )
        except DataBusy:
            refused = _(
                "Another import of the data is being applied right now, so the file was not "
                "applied. Try again in a moment."
            )
        except WarningsNotAccepted:
            refused = _("Confirm the warnings to apply the file.")
        except ImportFailed as exc:
            refused = "; ".join(e.message for e in exc.errors)
        else:
            messages.success(request, _("The file is applied. Shared scenarios are re-run."))
            url = reverse("import_batch", args=[pending.kind, applied.batch.pk])
            runs = ",".join(str(r.pk) for r in applied.runs)
            return redirect(f"{url}?runs={runs}" if runs else url)
    return render(
        request,
        "imports/preview.html",
        {
            "upload": pending,
            "preview": selectors.upload_preview(upload=pending),
            "form": form,
            "refused": refused,
            "labels": _labels(),
            "key_label": _("Municipality, year")
            if pending.kind == ImportKind.DEMAND
            else _("Practice"),
        },
        status=400 if refused else 200,
    )


@require_POST
@reader_required
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    _importer(request)
    pending = selectors.pending_upload(pk=pk, user=request.user)
    if pending is not None:
        pending.delete()
        messages.info(request, _("The file is discarded; nothing was changed."))
    return redirect("imports")


def _batch(kind: str, pk: int) -> ImportBatch | RegisterBatch:
    if kind not in ImportKind.values:
        raise Http404
    batch = selectors.batch_get(kind=kind, pk=pk)
    if batch is None:
        raise Http404
    return batch


@require_http_methods(["GET"])
@reader_required
def batch_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _importer(request)
    batch = _batch(kind, pk)
    run_ids = [int(r) for r in request.GET.get("runs", "").split(",") if r.isdigit()]
    return render(
        request,
        "imports/batch.html",
        {
            "kind": kind,
            "kind_label": ImportKind(kind).label,
            "batch": batch,
            "changes": selectors.batch_changes(kind=kind, batch=batch),
            "run_ids": run_ids,
        },
    )


@require_POST
@reader_required
def batch_revert(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _importer(request)
    batch = _batch(kind, pk)
    try:
        applied = revert_batch(kind=kind, batch=batch, user=request.user)
    except RevertRefused as exc:
        messages.error(request, _("The batch was not reverted: %(reason)s") % {"reason": exc})
        return redirect("import_batch", kind=kind, pk=pk)
    except DataBusy:
        messages.error(
            request,
            _(
                "Another import of the data is being applied right now, so the batch was not "
                "reverted. Try again in a moment."
            ),
        )
        return redirect("import_batch", kind=kind, pk=pk)
    messages.success(request, _("The batch is reverted: the values it replaced are back."))
    url = reverse("import_batch", args=[kind, pk])
    runs = ",".join(str(r.pk) for r in applied.runs)
    return redirect(f"{url}?runs={runs}" if runs else url)
