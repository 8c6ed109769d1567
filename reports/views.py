from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clusters.models import DEFAULT_GEOGRAPHY
from clusters.selectors import area_summaries, geography_list


def clusters(request: HttpRequest) -> HttpResponse:
    geography = request.GET.get("geography", DEFAULT_GEOGRAPHY)
    geographies = geography_list()
    if geography not in {g.slug for g in geographies}:
        geography = DEFAULT_GEOGRAPHY
    areas = area_summaries(geography=geography)
    return render(
        request,
        "reports/clusters.html",
        {
            "areas": areas,
            "geographies": geographies,
            "geography": geography,
            "total_population": sum(a.population for a in areas),
            "total_capacities": sum(a.capacities for a in areas),
            "total_practices": sum(a.practices for a in areas),
        },
    )
