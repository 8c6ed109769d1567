"""The coverage method "national-model" is now called "proportional-new": it splits only the
coverage pillar's new capacities in proportion to need, not the whole stock as the statutory
model does. Stored scenarios take the new name; runs keep the parameters they ran with
(AllocationParams.from_dict reads the old name as the new one)."""

from typing import Any

from django.db import migrations

OLD, NEW = "national-model", "proportional-new"


def _rename(apps: Any, old: str, new: str) -> None:
    scenario = apps.get_model("allocation", "Scenario")
    for row in scenario.objects.filter(params__coverage_method=old).only("pk", "params"):
        row.params = {**row.params, "coverage_method": new}
        row.save(update_fields=["params"])


def forwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, OLD, NEW)


def backwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0007_merge_faults")]

    operations = [migrations.RunPython(forwards, backwards)]
