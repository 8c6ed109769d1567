"""The REST API: /api/v1/ (see README "REST API"), the OpenAPI schema and its docs pages."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from api import docs
from api.openapi import SchemaView
from api.views import accounts, preview, reference, results, scenarios
from api.views.base import not_found

app_name = "api"

v1 = [
    path("ping/", accounts.PingView.as_view(), name="ping"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("auth/login/", accounts.LoginView.as_view(), name="login"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("auth/logoutall/", accounts.LogoutAllView.as_view(), name="logoutall"),
    path("regions/", reference.RegionListView.as_view(), name="region-list"),
    path("municipalities/", reference.MunicipalityListView.as_view(), name="municipality-list"),
    path(
        "municipalities/indicators/",
        reference.IndicatorListView.as_view(),
        name="indicator-list",
    ),
    path(
        "municipalities/<int:kommunekode>/",
        reference.MunicipalityDetailView.as_view(),
        name="municipality-detail",
    ),
    path("geographies/", reference.GeographyListView.as_view(), name="geography-list"),
    path(
        "geographies/<slug:slug>/",
        reference.GeographyDetailView.as_view(),
        name="geography-detail",
    ),
    path("practices/", reference.PracticeListView.as_view(), name="practice-list"),
    re_path(
        r"^practices/(?P<ydernummer>[\w-]{1,24})/$",
        reference.PracticeDetailView.as_view(),
        name="practice-detail",
    ),
    path("scenarios/", scenarios.ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/preview/", preview.ScenarioPreviewView.as_view(), name="scenario-preview"),
    path("scenarios/<int:pk>/", scenarios.ScenarioDetailView.as_view(), name="scenario-detail"),
    path("scenarios/<int:pk>/clone/", scenarios.ScenarioCloneView.as_view(), name="scenario-clone"),
    path("runs/", scenarios.RunListView.as_view(), name="run-list"),
    path("runs/<int:pk>/", scenarios.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/results/", results.RunResultsView.as_view(), name="run-results"),
    path("runs/<int:pk>/inputs/", results.RunInputsView.as_view(), name="run-inputs"),
    path("results/", results.ResultDatasetView.as_view(), name="result-list"),
    path("runs/<int:pk>/placements/", results.RunPlacementsView.as_view(), name="run-placements"),
    path("runs/<int:pk>/phasing/", results.RunPhasingView.as_view(), name="run-phasing"),
    path("runs/<int:pk>/metrics/", results.RunMetricsView.as_view(), name="run-metrics"),
    path(
        "runs/<int:pk>/sensitivity/", results.RunSensitivityView.as_view(), name="run-sensitivity"
    ),
    path(
        "runs/<int:pk>/explanation/<int:kommunekode>/",
        results.RunExplanationView.as_view(),
        name="run-explanation",
    ),
    path("compare/", results.CompareView.as_view(), name="compare"),
]

urlpatterns = [
    path("v1/", include(v1)),
    # OpenAPI 3 and its docs; Swagger UI and Redoc assets come from drf-spectacular-sidecar.
    path("schema/", SchemaView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: no inline script under the CSP
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    # REDOC_DIST in settings points here
    path("redoc-dist/bundles/redoc.standalone.js", docs.redoc_bundle, name="redoc-bundle"),
    # last: anything else under /api/ is a JSON 404
    re_path(r"^(?P<path>[\s\S]*)$", not_found, name="not-found"),
]
