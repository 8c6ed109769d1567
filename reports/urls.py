from django.urls import path

from reports import compare_views, export_views, practice_views, scenario_views, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("clusters/", views.clusters, name="clusters"),
    path("areas/<slug:geography>/<slug:slug>/", views.area, name="area"),
    path("municipalities/<int:code>/", views.municipality, name="municipality"),
    path("phase-in/", views.phase_in, name="phase_in"),
    path("sensitivity/", views.sensitivity, name="sensitivity"),
    path("geo/municipalities.geojson", views.municipalities_geojson, name="municipalities_geojson"),
    path("scenarios/", scenario_views.scenario_list, name="scenario_list"),
    path("scenarios/new/", scenario_views.scenario_new, name="scenario_new"),
    path("scenarios/<int:pk>/", scenario_views.scenario_edit, name="scenario_edit"),
    path(
        "scenarios/<int:pk>/validate/", scenario_views.scenario_validate, name="scenario_validate"
    ),
    path("scenarios/<int:pk>/preview/", scenario_views.scenario_preview, name="scenario_preview"),
    path("scenarios/<int:pk>/clone/", scenario_views.scenario_clone, name="scenario_clone"),
    path("scenarios/<int:pk>/status/", scenario_views.scenario_status, name="scenario_status"),
    path("scenarios/<int:pk>/run/", scenario_views.scenario_run, name="scenario_run"),
    path("scenarios/<int:pk>/report/", export_views.scenario_report, name="scenario_report"),
    path("runs/<int:pk>/", scenario_views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", scenario_views.run_progress, name="run_progress"),
    path("runs/<int:pk>/workbook.xlsx", export_views.run_workbook, name="run_workbook"),
    path("compare/", compare_views.compare, name="compare"),
    path("compare/export.<str:fmt>", compare_views.compare_export, name="compare_export"),
    path("practices/", practice_views.practice_list, name="practice_list"),
    path("practices/<str:ydernummer>/", practice_views.practice_edit, name="practice_edit"),
]
