"""A planner of Region Nordjylland uploads updated chronic counts (XLSX), sees the preview,
confirms, the shared scenario re-runs on the new data, and the batch reverts to exactly the
tables from before."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.formats import number_format

from accounts.roles import Role
from allocation import services as allocation
from allocation.models import AllocationRun, RunStatus, Visibility
from municipalities.models import DemandIndicator, ImportBatch, Municipality
from practices.models import Doctor, Practice, RegisterBatch
from tests.allocation.factories import ScenarioFactory
from tests.checksums import checksums
from tests.factories import user_with_role

pytestmark = pytest.mark.usefixtures("denmark", "eager_tasks")
NORDJYLLAND = 1081


def _chronic_xlsx() -> tuple[bytes, dict[int, float]]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["kommunekode", "year", "chronic", "source"])
    new: dict[int, float] = {}
    for m in Municipality.objects.filter(region_id=NORDJYLLAND):
        old = DemandIndicator.objects.get(municipality=m, year=2026, indicator="chronic").value
        # Hjørring's count more than triples: a plausibility warning the planner confirms.
        new[m.kommunekode] = round(old * (3.5 if m.kommunekode == 860 else 1.1))
        ws.append([m.kommunekode, 2026, new[m.kommunekode], "Region Nordjylland"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), new


def test_upload_preview_confirm_rerun_and_revert() -> None:
    planner = user_with_role("nord", Role.PLANNER, region=NORDJYLLAND)
    shared = ScenarioFactory.create(visibility=Visibility.SHARED)
    first = allocation.request_run(scenario=shared)
    content, new = _chronic_xlsx()
    before = checksums(DemandIndicator)
    client = Client()
    client.force_login(planner)

    upload = io.BytesIO(content)
    upload.name = "kroniske.xlsx"
    response = client.post("/imports/", {"kind": "demand", "file": upload}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="updated">11<' in html  # Nordjylland's 11 municipalities
    aalborg = DemandIndicator.objects.get(municipality_id=851, year=2026, indicator="chronic")
    with translation.override("da"):
        was = number_format(aalborg.value, decimal_pos=1, use_l10n=True, force_grouping=True)
        will = number_format(new[851], use_l10n=True, force_grouping=True)
    assert "851 Aalborg, 2026" in html and was in html and will in html
    # Hjørring's tripled count is a warning to confirm.
    assert 'data-preview="warnings"' in html
    assert checksums(DemandIndicator) == before  # a preview writes nothing

    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', html)
    assert sha is not None
    url = response.redirect_chain[-1][0]
    refused = client.post(url, {"sha256": sha.group(1)})
    assert refused.status_code == 400 and checksums(DemandIndicator) == before

    done = client.post(url, {"sha256": sha.group(1), "accept_warnings": "on"}, follow=True)
    assert done.status_code == 200
    batch = ImportBatch.objects.get()
    assert batch.user == planner and batch.values_updated == 11
    assert batch.file_name == "kroniske.xlsx" and len(batch.file_sha256) == 64
    for code, value in new.items():
        assert (
            DemandIndicator.objects.get(municipality_id=code, year=2026, indicator="chronic").value
            == value
        )
    rerun = AllocationRun.objects.filter(scenario=shared).exclude(pk=first.pk).get()
    assert rerun.status == RunStatus.SUCCEEDED and rerun.inputs_hash != first.inputs_hash
    assert f'href="/runs/{rerun.pk}/"' in done.content.decode()

    reverted = client.post(f"/imports/batches/demand/{batch.pk}/revert/", follow=True)
    assert reverted.status_code == 200
    assert checksums(DemandIndicator) == before
    batch.refresh_from_db()
    assert batch.reverted_at is not None and batch.reverted_by == planner
    # The re-run after the revert is the first run again: same inputs, same hash.
    assert allocation.request_run(scenario=shared).pk == first.pk
    # A second revert is refused, and says so.
    again = client.post(f"/imports/batches/demand/{batch.pk}/revert/", follow=True)
    assert "rullet tilbage" in again.content.decode()
    assert checksums(DemandIndicator) == before


def test_revert_is_refused_when_a_later_batch_changed_the_values(tmp_path: Path) -> None:
    user_with_role("nord", Role.PLANNER, region=NORDJYLLAND)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"kommunekode,year,chronic\n851,2026,40000\n")
    second.write_bytes(b"kommunekode,year,chronic\n851,2026,41000\n")
    call_command(
        "import_demand", str(first), "--user", "nord", "--accept-warnings", stdout=io.StringIO()
    )
    call_command(
        "import_demand", str(second), "--user", "nord", "--accept-warnings", stdout=io.StringIO()
    )
    older = ImportBatch.objects.order_by("pk").first()
    assert older is not None
    client = Client()
    client.force_login(older.user)  # type: ignore[arg-type]
    before = checksums(DemandIndicator)
    response = client.post(f"/imports/batches/demand/{older.pk}/revert/", follow=True)
    assert "ændret siden denne indlæsning" in response.content.decode()
    assert checksums(DemandIndicator) == before


def test_practice_register_import_and_revert(tmp_path: Path) -> None:
    user_with_role("nord", Role.PLANNER, region=NORDJYLLAND)
    before = checksums(Practice, Doctor)
    path = tmp_path / "register.csv"
    path.write_text(
        "ydernummer;name;kommunekode;form;open_to_new_patients;listed_patients;capacities;"
        "doctor_birth_years\n"
        '999100;"Lægehuset ""Havnen""";851;partnership;nej;3200;2;1962|1980\n',
        encoding="utf-8",
    )
    call_command("import_practices", str(path), "--user", "nord", stdout=io.StringIO())
    practice = Practice.objects.get(ydernummer="999100")
    assert practice.name == 'Lægehuset "Havnen"'  # doubled quotes read as one
    assert practice.doctors.count() == 2
    path.write_text(
        "ydernummer,name,kommunekode,form,open_to_new_patients,listed_patients,capacities\n"
        '999100,"Lægehuset ""Havnen""",851,partnership,ja,3300,2\n',
        encoding="utf-8",
    )
    call_command("import_practices", str(path), "--user", "nord", stdout=io.StringIO())
    assert Practice.objects.get(ydernummer="999100").open_to_new_patients
    client = Client()
    client.force_login(RegisterBatch.objects.first().user)  # type: ignore[union-attr,arg-type]
    for batch in RegisterBatch.objects.order_by("-pk"):
        page = client.get(f"/imports/batches/practices/{batch.pk}/")
        assert page.status_code == 200 and "999100" in page.content.decode()
        client.post(f"/imports/batches/practices/{batch.pk}/revert/")
    assert checksums(Practice, Doctor) == before
