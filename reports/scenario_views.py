"""Scenarios: list, editor with inline validation, clone, run with a live progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.policies import (
    can_create_scenario,
    can_edit_scenario,
    can_preview,
    can_request_run,
)
from allocation import services
from allocation.engine import AllocationParams, InfeasibleError, ParamsError
from allocation.models import AllocationRun, RunStatus, Scenario, ScenarioStatus
from allocation.selectors import (
    latest_run,
    preview,
    run_get,
    run_on_current_data,
    scenario_get,
    scenario_runs,
    scenario_transitions,
    scenarios_with_runs,
)
from clusters.selectors import geographies, memberships
from reports import charts, results
from reports.access import is_htmx, reader_required
from reports.forms import CloneForm, ScenarioForm
from reports.previews import preview_of
from reports.summaries import key_figures


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
    may_edit = can_edit_scenario(request.user, scenario)
    editable = may_edit and not scenario.is_locked
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = ScenarioForm(request.POST, geographies=_geography_choices())
        status = 400
        if scenario.is_locked:
            form.is_valid()
            form.add_error(None, _("This scenario is agreed and therefore locked."))
            status = 409
        elif form.is_valid():
            try:
                services.update_scenario(
                    scenario=scenario,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    visibility=form.cleaned_data["visibility"],
                    params=form.validated,
                    user=request.user,
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
    # the run whose results the Results link shows (as the overview picks it)
    shown, stale = run_on_current_data(run=latest_run(scenario=scenario))
    return render(
        request,
        "reports/scenario_edit.html",
        {
            "scenario": scenario,
            "form": form,
            "editable": editable,
            "can_run": can_request_run(request.user, scenario),
            "can_clone": can_create_scenario(request.user),
            "can_change_status": may_edit,
            "transitions": scenario_transitions(scenario=scenario),
            "runs": scenario_runs(scenario=scenario),
            "shown_run": shown,
            "stale": stale,
            "preview_on": editable and can_preview(request.user),
            "map_metrics": [(k, v[0]) for k, v in charts.map_metrics().items()],
        },
        status=status,
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
def scenario_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live what-if (htmx): every field's errors as out-of-band swaps, as
    :func:`scenario_validate`, and, when the parameters are valid, the key figures, the map
    and the area bars of the allocation they give on the current data: computed now in
    this process, saved nowhere."""
    scenario = _visible(request, pk)
    if not can_preview(request.user):
        raise PermissionDenied
    started = time.perf_counter()
    form = ScenarioForm(request.POST, geographies=_geography_choices())
    context: dict[str, Any] = {"form": form, "scenario": scenario}
    if form.is_valid():
        try:
            outcome = preview(params=form.validated)
        except ParamsError as exc:
            target = exc.field if exc.field in form.fields else None
            form.add_error(target, exc.message)
            form.param_errors.setdefault(exc.field, []).append(exc.message)
        except InfeasibleError:
            form.add_error("caps", _("The caps leave less room than the capacities to place."))
        else:
            geography = outcome.params.geography
            names = dict(_geography_choices())
            context["preview"] = preview_of(
                outcome,
                area_of=memberships(geography=geography),
                geography_name=names.get(geography, geography),
                metric=request.POST.get("preview_metric", "load_after"),
                muni_link=lambda code: "",
                area_link=lambda slug: "",
                geojson_url=reverse("municipalities_geojson"),
            )
            saved = latest_run(scenario=scenario)
            if saved is not None:
                context["saved"] = key_figures(
                    saved, results.muni_results(run_id=saved.pk, area_of={})
                )
    context["server_ms"] = (time.perf_counter() - started) * 1000
    return render(request, "reports/_scenario_preview.html", context)


def _clone_initial(scenario: Scenario, user: Any) -> dict[str, str]:
    """A name and description that say whose variant of what this is; the author edits."""
    name = _("%(name)s – %(user)s's variant") % {"name": scenario.name, "user": user.username}
    room = Scenario._meta.get_field("name").max_length or 200
    return {
        "name": name if len(name) <= room else name[: room - 1].rstrip() + "…",
        "description": _("Based on “%(name)s”. Changes: ") % {"name": scenario.name},
    }


@require_http_methods(["GET", "POST"])
@reader_required
def scenario_clone(request: HttpRequest, pk: int) -> HttpResponse:
    """Clone: the author names and describes the copy first (pre-filled, not "(copy)")."""
    scenario = _visible(request, pk)
    if not can_create_scenario(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = CloneForm(request.POST)
        if form.is_valid():
            clone = services.clone_scenario(
                scenario=scenario,
                owner=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
            messages.success(request, _("Cloned. This copy is yours to change."))
            return redirect("scenario_edit", pk=clone.pk)
    else:
        form = CloneForm(initial=_clone_initial(scenario, request.user))
    return render(
        request,
        "reports/scenario_clone.html",
        {"scenario": scenario, "form": form},
        status=400 if request.method == "POST" else 200,
    )


STATUS_MESSAGES = {
    ScenarioStatus.PROPOSED: gettext_lazy("Scenario proposed."),
    ScenarioStatus.AGREED: gettext_lazy("Scenario agreed: it is now locked."),
    ScenarioStatus.DRAFT: gettext_lazy("Scenario withdrawn to a draft."),
}


@require_POST
@reader_required
def scenario_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the scenario's life (draft → proposed → agreed), recorded with who and
    when."""
    scenario = _visible(request, pk)
    if not can_edit_scenario(request.user, scenario):
        raise PermissionDenied
    try:
        services.change_status(
            scenario=scenario,
            to=request.POST.get("to", ""),
            user=request.user,
            note=request.POST.get("note", "")[:500],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(STATUS_MESSAGES[ScenarioStatus(scenario.status)]))
    return redirect("scenario_edit", pk=scenario.pk)


def _start_run(request: HttpRequest, scenario: Scenario) -> HttpResponse:
    try:
        run = services.request_user_run(scenario=scenario, user=request.user)
    except ParamsError as exc:
        messages.error(request, f"{exc.field}: {exc.message}")
        return redirect("scenario_edit", pk=scenario.pk)
    except services.BrokerUnavailable as exc:
        messages.error(
            request,
            _(
                "The task queue is unreachable right now, so the run cannot start. It is kept "
                "as queued and starts by itself when the queue is back; this page shows when."
            ),
        )
        queued = run_get(user=request.user, pk=exc.run.pk) or exc.run
        response = render(request, "reports/run_detail.html", _progress_context(queued), status=503)
        response["Retry-After"] = "30"
        return response
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
