"""The practice register: search and filter; planners edit their own region's practices."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.policies import can_edit_region_data, can_import, region_of
from allocation.services import PRACTICE_EDIT, DataBusy, data_changed, data_lock
from municipalities.models import Indicator
from municipalities.selectors import municipality_names, region_list
from practices import selectors as practices
from practices.models import WEB_EDIT, PracticeForm
from practices.services import update_practice
from reports.access import reader_required
from reports.forms import PracticeEditForm

PAGE_SIZE = 50


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@reader_required
def practice_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    open_filter = {"yes": True, "no": False}.get(get.get("open", ""))
    own_region = region_of(request.user)
    # A planner lands on their own region's practices; the form's "All" (region=) shows all.
    by_default = "region" not in get and own_region is not None
    filters: dict[str, Any] = {
        "q": get.get("q", "").strip(),
        "region": own_region if by_default else _int(get.get("region")),
        "municipality": _int(get.get("municipality")),
        "open_to_new_patients": open_filter,
        "form": get.get("form", "") if get.get("form") in PracticeForm.values else "",
    }
    found = practices.practice_list(**filters, by_municipality=True, with_shortage=True)
    page = Paginator(found, PAGE_SIZE).get_page(get.get("page"))
    params = get.copy()
    params.pop("page", None)
    return render(
        request,
        "reports/practice_list.html",
        {
            "page": page,
            "filters": filters,
            "open": get.get("open", ""),
            "regions": list(region_list()),
            "municipalities": municipality_names(),
            "forms": PracticeForm.choices,
            "own_region": own_region,
            "own_region_default": by_default,
            "shortage_label": Indicator.SHORTAGE_PLO_2019.label,
            "superuser": request.user.is_superuser,
            "page_qs": params.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
@reader_required
def practice_edit(request: HttpRequest, ydernummer: str) -> HttpResponse:
    practice = practices.practice_get(ydernummer=ydernummer)
    if practice is None:
        raise Http404
    editable = can_edit_region_data(request.user, practice.municipality.region_id)
    form = PracticeEditForm(request.POST or None, instance=practice)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                # The same lock as imports: an edit never interleaves with a batch.
                with data_lock(holder=f"web edit of practice {ydernummer}"):
                    # A ModelForm writes into its instance while validating: the service
                    # gets the stored values, read under the lock, and records the change.
                    stored = practices.practice_get(ydernummer=ydernummer)
                    if stored is None:
                        raise Http404
                    changed = update_practice(
                        practice=stored, user=request.user, reason=WEB_EDIT, **form.cleaned_data
                    )
                    if changed:
                        data_changed(source=PRACTICE_EDIT, user=request.user)
            except DataBusy:
                form.add_error(
                    None,
                    _(
                        "An import of the data is being applied right now, so your change "
                        "was not saved. Try again in a moment."
                    ),
                )
                status = 409
            else:
                messages.success(request, _("Practice saved. The change is recorded."))
                return redirect("practice_edit", ydernummer=ydernummer)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "reports/practice_edit.html",
        {
            "practice": practice,
            "form": form,
            "editable": editable,
            "history": practices.practice_history(practice=practice),
            "can_import": can_import(request.user),
        },
        status=status,
    )
