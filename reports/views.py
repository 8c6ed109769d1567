"""Dashboards: overview, clusters, one area, one municipality, phase-in, sensitivity."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from accounts.policies import can_request_run, region_of
from allocation.selectors import (
    PILLARS,
    HorizonSummary,
    area_phasing,
    horizon_summary,
    municipality_explanation,
    phase_years,
    phasing_totals,
    placement_list,
    run_in_progress,
    run_on_current_data,
    sensitivity_rows,
)
from clusters.models import DEFAULT_GEOGRAPHY
from clusters.selectors import area_get, geography_summary, memberships
from municipalities.models import Indicator
from municipalities.selectors import municipalities_geojson as geojson_of_municipalities
from municipalities.selectors import municipality_get, shortage_municipalities
from practices.selectors import practice_list
from reports import charts, results
from reports.access import reader_required
from reports.fragments import cached_fragment, run_key
from reports.scope import ALL_REGIONS, page_scope
from reports.summaries import fill_years, key_figures, pillar_series
from reports.templatetags.klyngeplan import num

GEOJSON_URL_NAME = "municipalities_geojson"
SHORTAGE_LABEL = Indicator.SHORTAGE_PLO_2019.label


def muni_link_factory(scope_qs: str) -> Any:
    """kommunekode -> its page; one reverse() for all 98 (reverse is the costly part)."""
    pattern = reverse("municipality", args=[0]).replace("/0/", "/{}/") + scope_qs
    return pattern.format


def area_link_factory(geography: str, scope_qs: str) -> Any:
    pattern = reverse("area", args=[geography, "SLUG"]).replace("/SLUG/", "/{}/") + scope_qs
    return pattern.format


@require_GET
@reader_required
def overview(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request, region=True)
    scope.run, stale = run_on_current_data(run=scope.run)
    context: dict[str, Any] = scope.as_context()
    metric = request.GET.get("metric", "per10k")
    context["metric"] = metric if metric in charts.map_metrics() else "per10k"
    context["can_run"] = scope.scenario is not None and can_request_run(
        request.user, scope.scenario
    )
    context["metrics"] = [(k, v[0]) for k, v in charts.map_metrics().items()]
    context["stale"] = stale
    # The page opens on a planner's own region; links to all Denmark and back.
    params = request.GET.copy()
    params["region"] = ALL_REGIONS
    context["all_regions_qs"] = "?" + params.urlencode()
    params.pop("region")
    context["own_region_qs"] = "?" + params.urlencode() if params else "?"
    context["own_region"] = region_of(request.user) is not None
    if scope.run is None or scope.geography is None:
        context["pending"] = run_in_progress(scenario=scope.scenario) if scope.scenario else None
        return render(request, "reports/overview.html", context)
    run, geography = scope.run, scope.geography
    region = scope.region.code if scope.region is not None else None

    def build() -> dict[str, Any]:
        area_of = memberships(geography=geography.slug)
        rows = results.muni_results(run_id=run.pk, area_of=area_of)
        areas = results.area_results(run_id=run.pk, geography=geography.slug, area_of=area_of)
        phasing = phasing_totals(run=run)
        years = phase_years(run)
        shortage = shortage_municipalities()
        marks = results.area_marks(rows, region=region, shortage=shortage)
        return {
            **context,
            "kpi": key_figures(run, rows),
            # A planner's own region's areas first, then by their new capacities.
            "areas": sorted(areas, key=lambda a: (a.slug not in marks.in_region, -a.total)),
            "marks": marks,
            "shortage_label": SHORTAGE_LABEL,
            "map_figure": charts.municipality_map(
                rows,
                metric=context["metric"],
                link=muni_link_factory(scope.querystring),
                geojson_url=reverse(GEOJSON_URL_NAME),
                marked=shortage,
                marked_label=str(SHORTAGE_LABEL),
                fit=[r.code for r in rows if r.region == region],
            ),
            "areas_figure": charts.areas_stacked(
                areas,
                link=area_link_factory(geography.slug, scope.querystring),
                title=_("New capacities per area (%(geo)s), by pillar") % {"geo": geography},
            ),
            "phase_figure": charts.phase_in_area(
                years,
                pillar_series(phasing, years),
                title=_("Phase-in %(a)s–%(b)s: new capacities in place, by pillar")
                % {"a": years[0], "b": years[-1]},
            ),
        }

    context["results"] = cached_fragment(
        request,
        template="reports/_overview_results.html",
        parts=(run_key(run), geography.slug, scope.querystring, context["metric"], region or ""),
        build=build,
    )
    return render(request, "reports/overview.html", context)


@require_GET
@reader_required
def clusters(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request)
    summary = geography_summary(geography=scope.geo_slug)
    return render(
        request,
        "reports/clusters.html",
        {
            **scope.as_context(),
            "areas": summary.areas,
            "total_population": summary.population,
            "total_capacities": summary.capacities,
            "total_practices": summary.practices,
        },
    )


@require_GET
@reader_required
def area(request: HttpRequest, geography: str, slug: str) -> HttpResponse:
    found = area_get(geography=geography, slug=slug)
    if found is None:
        raise Http404
    scope = page_scope(request, geography_slug=geography)
    area_of = memberships(geography=geography)
    members = {code for code, a in area_of.items() if a[0] == slug}
    context: dict[str, Any] = {**scope.as_context(), "area": found, "members": members}
    link = muni_link_factory(scope.querystring)
    if scope.run is not None:
        all_rows = results.muni_results(run_id=scope.run.pk, area_of=area_of)
        rows = [r for r in all_rows if r.code in members]
        summary = next(
            iter(
                results.area_results(
                    run_id=scope.run.pk, geography=geography, area_of=area_of, slugs=[slug]
                )
            ),
            None,
        )
        years = phase_years(scope.run)
        phasing = phasing_totals(run=scope.run, codes=members)
        context.update(
            rows=rows,
            summary=summary,
            map_figure=charts.highlight_map(
                codes=[r.code for r in all_rows],
                names=[r.name for r in all_rows],
                members=members,
                links=[link(r.code) for r in all_rows],
                title=_("Member municipalities"),
                geojson_url=reverse(GEOJSON_URL_NAME),
            ),
            phase_figure=charts.phase_in_area(
                years,
                pillar_series(phasing, years),
                title=_("Phase-in in %(area)s, by pillar") % {"area": found.name},
            ),
            placements=list(placement_list(run=scope.run, municipalities=members)),
        )
        add_horizon(
            context,
            horizon_summary(run=scope.run, geography=geography, area=slug, members=members),
            found.name,
        )
    context["practices"] = list(practice_list(municipalities=members, by_municipality=True))
    return render(request, "reports/area.html", context)


@require_GET
@reader_required
def municipality(request: HttpRequest, code: int) -> HttpResponse:
    muni = municipality_get(kommunekode=code)
    if muni is None:
        raise Http404
    scope = page_scope(request)
    practices = list(practice_list(municipality=code, by_municipality=True))
    context: dict[str, Any] = {
        **scope.as_context(),
        "muni": muni,
        "areas": muni.area_list,  # type: ignore[attr-defined]
        "practices": practices,
        "shortage": _in_shortage(muni),
        "shortage_label": Indicator.SHORTAGE_PLO_2019.label,
    }
    if scope.run is not None:
        context["explanation"] = municipality_explanation(
            run=scope.run,
            kommunekode=code,
            indicators=muni.latest_indicators,  # type: ignore[attr-defined]
            known={p.ydernummer for p in practices},
        )
        years = phase_years(scope.run)
        context["phase_figure"] = charts.phase_in_area(
            years,
            pillar_series(phasing_totals(run=scope.run, codes=[code]), years),
            title=_("Phase-in in %(name)s, by pillar") % {"name": muni.name},
        )
        explanation = context["explanation"]
        add_horizon(context, explanation.horizon if explanation else None, muni.name)
    return render(request, "reports/municipality.html", context)


def _in_shortage(muni: Any) -> bool:
    """On PLO's 2019 list of GP shortage municipalities (from the indicators read already)."""
    latest = muni.latest_indicators.get(Indicator.SHORTAGE_PLO_2019)
    return latest is not None and latest.value >= 1


def add_horizon(context: dict[str, Any], summary: HorizonSummary | None, name: str) -> None:
    """The need-and-supply section's summary and its waterfall (templates/_horizon.html)."""
    context["horizon"] = summary
    if summary is not None:
        context["horizon_figure"] = charts.supply_waterfall(
            summary,
            title=_("GP capacities in %(name)s, %(b)s → %(h)s")
            % {"name": name, "b": summary.base_year, "h": summary.horizon},
        )


@require_GET
@reader_required
def phase_in(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request)
    context: dict[str, Any] = scope.as_context()
    if scope.run is not None and scope.geography is not None:
        years = phase_years(scope.run)
        national = phasing_totals(run=scope.run)
        series = {
            slug: (name, fill_years(values, years, True))
            for slug, (name, values) in area_phasing(
                run=scope.run, geography=scope.geo_slug
            ).items()
        }
        new_by_pillar = pillar_series(national, years, cumulative=False)
        context.update(
            years=years,
            national_figure=charts.phase_in_area(
                years,
                pillar_series(national, years),
                title=_("Phase-in %(a)s–%(b)s: new capacities in place, by pillar")
                % {"a": years[0], "b": years[-1]},
            ),
            areas_figure=charts.area_lines(
                years,
                series,
                title=_("Cumulative new capacities per area (%(geo)s)") % {"geo": scope.geography},
            ),
            new_by_pillar=[(p, charts.pillar_labels()[p], new_by_pillar[p]) for p in PILLARS],
            year_totals=fill_years(national["new_all"], years, False),
            area_table=sorted(
                ((slug, name, values) for slug, (name, values) in series.items()),
                key=lambda t: t[1],
            ),
        )
    return render(request, "reports/phase_in.html", context)


@require_GET
@reader_required
def sensitivity(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request, geography=False)
    context: dict[str, Any] = scope.as_context()
    if scope.run is not None:
        geo = scope.run.params.get("geography", DEFAULT_GEOGRAPHY)
        rows = sensitivity_rows(run=scope.run, level="area", geography=geo)
        context.update(
            sens_geography=geo,
            rows=sorted(rows, key=lambda r: -float(r["base"])),
            summary=scope.run.sensitivity_summary or {},
            bands_figure=charts.sensitivity_bands(
                rows,
                title=_("New capacities per area: P5–P95 over %(n)s draws")
                % {"n": num((scope.run.sensitivity_summary or {}).get("draws"))},
                link=area_link_factory(geo, scope.querystring),
            )
            if rows
            else None,
        )
    return render(request, "reports/sensitivity.html", context)


@gzip_page
@require_GET
@reader_required
def municipalities_geojson(request: HttpRequest) -> HttpResponse:
    body, etag = geojson_of_municipalities()
    quoted = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted:
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = quoted
    response["Cache-Control"] = "private, max-age=3600"
    return response
