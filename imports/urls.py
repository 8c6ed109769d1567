from django.urls import path

from imports import views

urlpatterns = [
    path("", views.upload, name="imports"),
    path("uploads/<int:pk>/", views.preview, name="import_preview"),
    path("uploads/<int:pk>/discard/", views.discard, name="import_discard"),
    path("batches/<str:kind>/<int:pk>/", views.batch_detail, name="import_batch"),
    path("batches/<str:kind>/<int:pk>/revert/", views.batch_revert, name="import_revert"),
]
