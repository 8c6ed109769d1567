"""Scenarios: list, editor with inline validation, clone, run with a live progress bar."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.policies import (
    can_create_scenario,
    can_edit_scenario,
    can_request_run,
)
from allocation import services
from allocation.engine import AllocationParams, ParamsError
from allocation.models import AllocationRun, RunStatus, Scenario
from allocation.selectors import run_get, scenario_get, scenario_runs, scenarios_with_runs
from clusters.selectors import geographies
from reports.access import is_htmx, reader_required
from reports.forms import ScenarioForm


def _visible(request: HttpRequest, pk: int) -> Scenario:
    scenario = scenario_get(user=request.user, pk=pk)
    if scenario is None:
        raise Http404
    return scenario


def _geography_choices() -> list[tuple[str, str]]:
    return [(g.slug, g.name) for g in geographies()]


@require_GET
@reader_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    scenarios = scenarios_with_runs(user=request.user)
    mine = [s for s in scenarios if s.owner_id == request.user.pk]
    shared = [s for s in scenarios if s.owner_id != request.user.pk]
    default = next((s for s in scenarios if s.is_default), None)
    return render(
        request,
        "reports/scenario_list.html",
        {
            "mine": mine,
            "shared": shared,
            "default": default,
            "can_create": can_create_scenario(request.user),
            "editable": {s.pk for s in scenarios if can_edit_scenario(request.user, s)},
            "runnable": {s.pk for s in scenarios if can_request_run(request.user, s)},
        },
    )


@require_POST
@reader_required
def scenario_new(request: HttpRequest) -> HttpResponse:
    if not can_create_scenario(request.user):
        raise PermissionDenied
    scenario = services.create_scenario(
        name=_("New scenario"), owner=request.user, params=AllocationParams().to_dict()
    )
    messages.success(request, _("Scenario created with the default parameters."))
    return redirect("scenario_edit", pk=scenario.pk)


@require_http_methods(["GET", "POST"])
@reader_required
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _visible(request, pk)
    editable = can_edit_scenario(request.user, scenario)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ScenarioForm(request.POST, geographies=_geography_choices())
        if form.is_valid():
            try:
                services.update_scenario(
                    scenario=scenario,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    visibility=form.cleaned_data["visibility"],
                    status=form.cleaned_data["status"],
                    params=form.validated,
                )
            except ParamsError as exc:
                form.add_error(None, f"{exc.field}: {exc.message}")
            else:
                messages.success(request, _("Scenario saved."))
                if "run" in request.POST and can_request_run(request.user, scenario):
                    return _start_run(request, scenario)
                return redirect("scenario_edit", pk=scenario.pk)
    else:
        form = ScenarioForm(
            initial=ScenarioForm.initial_from(scenario), geographies=_geography_choices()
        )
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "reports/scenario_edit.html",
        {
            "scenario": scenario,
            "form": form,
            "editable": editable,
            "can_run": can_request_run(request.user, scenario),
            "can_clone": can_create_scenario(request.user),
            "runs": scenario_runs(scenario=scenario),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@reader_required
def scenario_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """Inline validation: every field's errors as out-of-band swaps (htmx)."""
    scenario = _visible(request, pk)
    if not can_edit_scenario(request.user, scenario):
        raise PermissionDenied
    form = ScenarioForm(request.POST, geographies=_geography_choices())
    form.is_valid()
    return render(request, "reports/_scenario_errors.html", {"form": form})


@require_POST
@reader_required
def scenario_clone(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _visible(request, pk)
    if not can_create_scenario(request.user):
        raise PermissionDenied
    clone = services.clone_scenario(
        scenario=scenario,
        owner=request.user,
        name=_("%(name)s (copy)") % {"name": scenario.name},
    )
    messages.success(request, _("Cloned. This copy is yours to change."))
    return redirect("scenario_edit", pk=clone.pk)


def _start_run(request: HttpRequest, scenario: Scenario) -> HttpResponse:
    try:
        run = services.request_run(scenario=scenario, user=request.user)
    except ParamsError as exc:
        messages.error(request, f"{exc.field}: {exc.message}")
        return redirect("scenario_edit", pk=scenario.pk)
    return redirect("run_detail", pk=run.pk)


@require_POST
@reader_required
def scenario_run(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _visible(request, pk)
    if not can_request_run(request.user, scenario):
        raise PermissionDenied
    return _start_run(request, scenario)


def _run_for(request: HttpRequest, pk: int) -> AllocationRun:
    run = run_get(user=request.user, pk=pk)
    if run is None:
        raise Http404
    return run


def _progress_context(run: AllocationRun) -> dict[str, Any]:
    return {
        "run": run,
        "stage": run.stage_label,
        "results_url": reverse("overview") + f"?scenario={run.scenario_id}",
    }


@require_GET
@reader_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request, pk)
    return render(request, "reports/run_detail.html", _progress_context(run))


@require_GET
@reader_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx until the run has finished; then on to the results."""
    run = _run_for(request, pk)
    context = _progress_context(run)
    if request.GET.get("redirect") and run.status == RunStatus.SUCCEEDED and is_htmx(request):
        return HttpResponseClientRedirect(context["results_url"])
    return render(request, "reports/_run_progress.html", context)
