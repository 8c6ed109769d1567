"""Dashboards: overview, clusters, one area, one municipality, phase-in, sensitivity."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from accounts.policies import can_request_run
from allocation.selectors import explanation_get
from clusters.selectors import area_summaries
from municipalities.models import Indicator
from reports import charts, selectors
from reports.access import reader_required
from reports.fragments import cached_fragment, run_key
from reports.scope import page_scope
from reports.summaries import key_figures
from reports.templatetags.klyngeplan import num

GEOJSON_URL_NAME = "municipalities_geojson"


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
    scope = page_scope(request)
    context: dict[str, Any] = scope.as_context()
    metric = request.GET.get("metric", "per10k")
    context["metric"] = metric if metric in charts.map_metrics() else "per10k"
    context["can_run"] = scope.scenario is not None and can_request_run(
        request.user, scope.scenario
    )
    context["metrics"] = [(k, v[0]) for k, v in charts.map_metrics().items()]
    if scope.run is None or scope.geography is None:
        context["pending"] = (
            selectors.run_in_progress(scenario=scope.scenario) if scope.scenario else None
        )
        return render(request, "reports/overview.html", context)
    run, geography = scope.run, scope.geography

    def build() -> dict[str, Any]:
        area_of = selectors.memberships(geography.slug)
        rows = selectors.muni_results(run_id=run.pk, area_of=area_of)
        areas = selectors.area_results(run_id=run.pk, geography=geography.slug, area_of=area_of)
        phasing = selectors.national_phasing(run_id=run.pk)
        years = list(range(run.params["base_year"], run.params["horizon"] + 1))
        return {
            **context,
            "kpi": key_figures(run, rows),
            "areas": sorted(areas, key=lambda a: -a.total),
            "map_figure": charts.municipality_map(
                rows,
                metric=context["metric"],
                link=muni_link_factory(scope.querystring),
                geojson_url=reverse(GEOJSON_URL_NAME),
            ),
            "areas_figure": charts.areas_stacked(
                areas,
                link=area_link_factory(geography.slug, scope.querystring),
                title=_("New capacities per area (%(geo)s), by pillar") % {"geo": geography},
            ),
            "phase_figure": charts.phase_in_area(
                years,
                {
                    p: selectors.fill_years(phasing["cumulative"][p], years, True)
                    for p in selectors.PILLARS
                },
                title=_("Phase-in %(a)s–%(b)s: new capacities in place, by pillar")
                % {"a": years[0], "b": years[-1]},
            ),
        }

    context["results"] = cached_fragment(
        request,
        template="reports/_overview_results.html",
        parts=(run_key(run), geography.slug, scope.querystring, context["metric"]),
        build=build,
    )
    return render(request, "reports/overview.html", context)


@require_GET
@reader_required
def clusters(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request)
    areas = area_summaries(geography=scope.geo_slug)
    return render(
        request,
        "reports/clusters.html",
        {
            **scope.as_context(),
            "areas": areas,
            "total_population": sum(a.population for a in areas),
            "total_capacities": sum(a.capacities for a in areas),
            "total_practices": sum(a.practices for a in areas),
        },
    )


@require_GET
@reader_required
def area(request: HttpRequest, geography: str, slug: str) -> HttpResponse:
    found = selectors.area_detail(geography=geography, slug=slug)
    if found is None:
        raise Http404
    scope = page_scope(request, geography_slug=geography)
    area_of = selectors.memberships(geography)
    members = {code for code, a in area_of.items() if a[0] == slug}
    context: dict[str, Any] = {**scope.as_context(), "area": found, "members": members}
    link = muni_link_factory(scope.querystring)
    if scope.run is not None:
        all_rows = selectors.muni_results(run_id=scope.run.pk, area_of=area_of)
        rows = [r for r in all_rows if r.code in members]
        summary = next(
            iter(
                selectors.area_results(
                    run_id=scope.run.pk, geography=geography, area_of=area_of, slugs=[slug]
                )
            ),
            None,
        )
        years = list(range(scope.run.params["base_year"], scope.run.params["horizon"] + 1))
        phasing = selectors.national_phasing(run_id=scope.run.pk, codes=members)
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
                {
                    p: selectors.fill_years(phasing["cumulative"][p], years, True)
                    for p in selectors.PILLARS
                },
                title=_("Phase-in in %(area)s, by pillar") % {"area": found.name},
            ),
            placements=selectors.placements_in(run_id=scope.run.pk, codes=members),
        )
    context["practices"] = selectors.practices_in(members)
    return render(request, "reports/area.html", context)


PILLAR_DRIVERS = {
    "transition": (
        Indicator.CHRONIC,
        Indicator.MULTIMORBID,
        Indicator.NURSING_HOME_PLACES,
        Indicator.RESIDENTIAL_RESIDENTS,
        Indicator.PSYCHIATRIC,
        Indicator.POP_80_PLUS,
    ),
    "accessibility": (Indicator.VULNERABLE, Indicator.MULTIMORBID, Indicator.FAR_FROM_PRACTICE),
}


@require_GET
@reader_required
def municipality(request: HttpRequest, code: int) -> HttpResponse:
    muni = selectors.municipality_detail(code)
    if muni is None:
        raise Http404
    scope = page_scope(request)
    indicators = selectors.demand_indicators(code)
    labels = dict(Indicator.choices)
    context: dict[str, Any] = {
        **scope.as_context(),
        "muni": muni,
        "areas": selectors.municipality_areas(code),
        "indicators": [(labels.get(key, key), ind) for key, ind in sorted(indicators.items())],
    }
    practices = selectors.practices_in([code])
    context["practices"] = practices
    if scope.run is not None:
        result = selectors.municipality_result(run_id=scope.run.pk, code=code)
        context["result"] = result
        explanation = (
            explanation_get(run=scope.run, kommunekode=code) if result is not None else None
        ) or {}
        context["explanation"] = explanation
        pillars = []
        for pillar, drivers in PILLAR_DRIVERS.items():
            block = explanation.get(pillar, {}) or {}
            rows = []
            for key, info in (block.get("drivers") or {}).items():
                ind = indicators.get(key)
                rows.append(
                    {
                        "label": labels.get(key, key),
                        "value": info.get("value"),
                        "share": info.get("national_share"),
                        "weight": info.get("weight"),
                        "contribution": info.get("contribution"),
                        "status": ind.status if ind else "",
                        "source": ind.source if ind else "",
                    }
                )
            pillars.append((pillar, block, rows, drivers))
        context["pillar_blocks"] = pillars
        components = (explanation.get("weighted_citizens") or {}).get("components") or {}
        context["components"] = [
            (
                labels.get(key, key),
                c,
                indicators[key].status if key in indicators else "",
            )
            for key, c in components.items()
        ]
        placements = selectors.placements_in(run_id=scope.run.pk, codes=[code])
        by_practice: dict[str, list[Any]] = {}
        for p in placements:
            by_practice.setdefault(p.ydernummer, []).append(p)
        known = {p.ydernummer for p in practices}
        context["placements_by_practice"] = by_practice
        context["new_ydernumre"] = {k: v for k, v in by_practice.items() if k not in known}
        years = list(range(scope.run.params["base_year"], scope.run.params["horizon"] + 1))
        phasing = selectors.national_phasing(run_id=scope.run.pk, codes=[code])
        context["phase_figure"] = charts.phase_in_area(
            years,
            {
                p: selectors.fill_years(phasing["cumulative"][p], years, True)
                for p in selectors.PILLARS
            },
            title=_("Phase-in in %(name)s, by pillar") % {"name": muni.name},
        )
        context["years"] = years
    return render(request, "reports/municipality.html", context)


@require_GET
@reader_required
def phase_in(request: HttpRequest) -> HttpResponse:
    scope = page_scope(request)
    context: dict[str, Any] = scope.as_context()
    if scope.run is not None and scope.geography is not None:
        years = list(range(scope.run.params["base_year"], scope.run.params["horizon"] + 1))
        area_of = selectors.memberships(scope.geo_slug)
        national = selectors.national_phasing(run_id=scope.run.pk)
        per_area = selectors.area_phasing(run_id=scope.run.pk, area_of=area_of)
        names = {slug: name for slug, name, _h in area_of.values()}
        series = {
            slug: (names[slug], selectors.fill_years(values, years, True))
            for slug, values in per_area.items()
        }
        new_by_pillar = {
            p: selectors.fill_years(national["new"][p], years, False) for p in selectors.PILLARS
        }
        context.update(
            years=years,
            national_figure=charts.phase_in_area(
                years,
                {
                    p: selectors.fill_years(national["cumulative"][p], years, True)
                    for p in selectors.PILLARS
                },
                title=_("Phase-in %(a)s–%(b)s: new capacities in place, by pillar")
                % {"a": years[0], "b": years[-1]},
            ),
            areas_figure=charts.area_lines(
                years,
                series,
                title=_("Cumulative new capacities per area (%(geo)s)") % {"geo": scope.geography},
            ),
            new_by_pillar=[
                (p, charts.pillar_labels()[p], new_by_pillar[p]) for p in selectors.PILLARS
            ],
            year_totals=[
                sum(new_by_pillar[p][i] for p in selectors.PILLARS) for i in range(len(years))
            ],
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
        geo = scope.run.params.get("geography", "sundhedsklynger-21")
        area_of = selectors.memberships(geo)
        names = {slug: name for slug, name, _h in area_of.values()}
        bands = selectors.sensitivity_bands(run_id=scope.run.pk, level="area", geography=geo)
        rows: list[dict[str, Any]] = [
            {
                "key": b.key,
                "name": names.get(b.key, b.key),
                "p5": b.p5,
                "p50": b.p50,
                "p95": b.p95,
                "base": b.base,
                "width": b.p95 - b.p5,
            }
            for b in bands
        ]
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
    body, etag = selectors.municipalities_geojson()
    quoted = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted:
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = quoted
    response["Cache-Control"] = "private, max-age=3600"
    return response
