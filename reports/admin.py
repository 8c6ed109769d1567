"""The admin of the practice register. It lives with the pages (an interface, like the
practice edit page) because a change in it tells the allocation, which the practices app
itself never calls."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.forms import BaseModelForm, BaseModelFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from practices.history import recording
from practices.models import ADMIN_EDIT, Doctor, Practice

# allocation.services and practices.services (pandas, numpy, openpyxl, Celery's tasks) are
# imported where a change is written, not here: the admin is loaded by every process that
# sets Django up (a manage.py command, a worker, each test's subprocess), and importing them
# cost each about half a second at startup.


class DoctorInline(admin.TabularInline):
    model = Doctor
    extra = 0


class RecordedAdmin(SimpleHistoryAdmin):
    """A change in the admin is a change of the register like any other: it takes the data
    lock that imports take, is recorded in the history as the admin's (who, "admin"), and
    the shared scenarios are re-run on it."""

    def _write(self, request: HttpRequest, view: Callable[[], HttpResponse]) -> HttpResponse:
        if request.method != "POST":
            return view()
        from allocation.services import PRACTICE_EDIT, DataBusy, data_changed, data_lock

        try:
            with (
                data_lock(holder=f"admin {request.user.get_username()}"),
                recording(user=request.user, reason=ADMIN_EDIT),
            ):
                response = view()
                # A saved change answers with a redirect; a form with errors with 200.
                if response.status_code == 302:
                    data_changed(source=PRACTICE_EDIT, user=request.user)
        except DataBusy:
            messages.error(
                request,
                gettext(
                    "An import of the data is being applied right now, so nothing was "
                    "saved. Try again in a moment."
                ),
            )
            return HttpResponseRedirect(request.get_full_path())
        return response

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: BaseModelForm, change: bool
    ) -> None:
        from practices.services import record_baselines

        if change:  # the form has written into obj already: the stored state from the table
            record_baselines(list(type(obj)._default_manager.filter(pk=obj.pk)))
        super().save_model(request, obj, form, change)

    def save_formset(
        self, request: HttpRequest, form: BaseModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        from practices.services import record_baselines

        edited = [f.instance.pk for f in formset.forms if f.instance.pk and f.has_changed()]
        if edited and formset.model is not None:
            record_baselines(list(formset.model._default_manager.filter(pk__in=edited)))
        super().save_formset(request, form, formset, change)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return self._write(
            request,
            lambda: super(RecordedAdmin, self).changeform_view(
                request, object_id, form_url, extra_context
            ),
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._write(
            request,
            lambda: super(RecordedAdmin, self).delete_view(request, object_id, extra_context),
        )

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return self._write(
            request,
            lambda: super(RecordedAdmin, self).history_form_view(
                request, object_id, version_id, extra_context
            ),
        )


@admin.register(Practice)
class PracticeAdmin(RecordedAdmin):
    list_display = (
        "ydernummer",
        "name",
        "municipality",
        "form",
        "capacities",
        "listed_patients",
        "open_to_new_patients",
        "source_label",
    )
    list_filter = ("source", "form", "open_to_new_patients", "municipality__region")
    search_fields = ("ydernummer", "name", "municipality__name")
    list_select_related = ("municipality",)
    inlines = [DoctorInline]
    history_list_display = ["history_change_reason"]

    @admin.display(description=_("source"), ordering="source")
    def source_label(self, obj: Practice) -> str:
        # Synthetic records must never pass for real ones.
        return "SYNTHETIC" if obj.is_synthetic else str(obj.get_source_display())


@admin.register(Doctor)
class DoctorAdmin(RecordedAdmin):
    list_display = ("practice", "birth_year", "fte", "source")
    list_filter = ("source",)
    history_list_display = ["history_change_reason"]
