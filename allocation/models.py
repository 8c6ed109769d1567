"""Scenarios, allocation runs and their results.

A run is one row: the progress bar, the record of what ran, and what the API serves. A
finished run is immutable; every result row belongs to a run.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

PARAMS_SCHEMA_VERSION = 1
DEFAULT_SCENARIO_NAME = "KL/PLO 2035 (700/600/200)"


class Visibility(models.TextChoices):
    PRIVATE = "private", _("private draft")
    SHARED = "shared", _("shared")


class ScenarioStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed")
    AGREED = "agreed", _("agreed")


# A scenario's life: a draft is proposed, a proposal is agreed or withdrawn to a draft. An
# agreed scenario is the record of what was agreed: it is locked, and changes start from a
# clone.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    ScenarioStatus.DRAFT: (ScenarioStatus.PROPOSED,),
    ScenarioStatus.PROPOSED: (ScenarioStatus.AGREED, ScenarioStatus.DRAFT),
    ScenarioStatus.AGREED: (),
}


class Scenario(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    status = models.CharField(
        max_length=10, choices=ScenarioStatus.choices, default=ScenarioStatus.DRAFT
    )
    params = models.JSONField(help_text=_("the engine's validated parameters"))
    params_schema_version = models.PositiveSmallIntegerField(default=PARAMS_SCHEMA_VERSION)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="clones"
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_scenario",
            )
        ]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name

    @property
    def is_locked(self) -> bool:
        """Agreed: neither its parameters nor its name or description change any more."""
        return self.status == ScenarioStatus.AGREED

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return NEXT_STATUSES.get(self.status, ())


class ScenarioTransition(models.Model):
    """One step of a scenario's life (draft → proposed → agreed): who took it, and when."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=ScenarioStatus.choices)
    to_status = models.CharField(max_length=10, choices=ScenarioStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["scenario_id", "at", "id"]
        verbose_name = _("scenario status change")
        verbose_name_plural = _("scenario status changes")

    def __str__(self) -> str:
        return f"{self.scenario_id}: {self.from_status} → {self.to_status}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


class Trigger(models.TextChoices):
    USER = "user", _("user")
    DATA_CHANGE = "data", _("data change")
    SCHEDULE = "schedule", _("schedule")


class Stage(models.TextChoices):
    """Where a run is; the page and the API show the label, never the code."""

    QUEUED = "queued", _("Waiting for a worker")
    STARTED = "started", _("Started")
    READING = "reading", _("Reading demand data and practices")
    ALLOCATING = "allocating", _("Allocating the capacities")
    SENSITIVITY = "sensitivity", _("Sensitivity analysis")
    MERGING = "merging", _("Merging the sensitivity analysis")
    SAVING = "saving", _("Saving the results")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AllocationRun(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    params = models.JSONField(help_text=_("snapshot of the scenario's parameters"))
    inputs_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.QUEUED)
    stage_count = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("step within the stage, e.g. chunk 3 (of 5)")
    )
    stage_total = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("steps in the stage, e.g. 5 chunks")
    )
    error = models.TextField(blank=True)
    triggered_by = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    task_id = models.CharField(
        max_length=64, blank=True, help_text=_("empty while the broker has not taken the task")
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    redispatches = models.PositiveSmallIntegerField(
        default=0, help_text=_("times the run was sent again after its worker was lost")
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("last sign of life: dispatched, or a heartbeat of the task computing it"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text=_("seconds per stage"))
    totals = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    sensitivity_summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scenario", "status", "-created_at"])]
        constraints = [
            # One queued or running run per scenario and inputs: a second identical request,
            # however close in time, gets the first (allocation.services.request_run).
            models.UniqueConstraint(
                fields=["scenario", "inputs_hash"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_run_per_inputs",
            )
        ]
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")

    def __str__(self) -> str:
        return f"Run #{self.pk} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A finished run is a record: refuse to change it through the ORM's save().
        if self.pk and not kwargs.pop("force_finished_write", False):
            stored = AllocationRun.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored and stored[0] in FINISHED:
                raise ValidationError(_("A finished run is immutable."))
        super().save(*args, **kwargs)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def stage_label(self) -> str:
        """The stage in words, in the active language, with its count when it has one."""
        label = str(self.get_stage_display())
        if self.stage_count is None or self.stage_total is None:
            return label
        return gettext("%(stage)s (%(count)s of %(total)s)") % {
            "stage": label,
            "count": self.stage_count,
            "total": self.stage_total,
        }


class RunInputs(models.Model):
    """The engine inputs a run used, as columns of JSON (see allocation.snapshots).

    Written with the run, so the run computes on exactly what it hashed, and the
    explanations are rebuilt from it on read instead of being stored per municipality.
    """

    run = models.OneToOneField(
        AllocationRun, on_delete=models.CASCADE, primary_key=True, related_name="inputs"
    )
    frames = models.JSONField()

    def __str__(self) -> str:
        return f"inputs of run {self.run_id}"


class DataLock(models.Model):
    """A row to lock while the engine's input data is written (imports, load_denmark), so
    that two writers apply one after the other, each on what the other left
    (allocation.services.data_lock)."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=200, blank=True, help_text=_("who holds it now"))
    taken_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class DataRevision(models.Model):
    """The revision of the engine's input data, one row, raised by the database's own
    triggers on every write to a table the engine reads (allocation.revision). Not written
    by the application."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32, help_text=_("drawn when the row is made"))
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.token}:{self.number}"


class Pillar(models.TextChoices):
    TRANSITION = "transition", _("transition to local care")
    COVERAGE = "coverage", _("GP coverage")
    ACCESSIBILITY = "accessibility", _("accessibility")


class MunicipalityResult(models.Model):
    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="results")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    transition = models.PositiveIntegerField()
    coverage = models.PositiveIntegerField()
    accessibility = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    # The need the allocation uses: at the horizon (weighted_citizens_base is the base year's,
    # on the same scale). The fields below weighted_citizens are null for runs stored before
    # need and supply were projected to the horizon.
    weighted_citizens = models.FloatField()
    weighted_citizens_base = models.FloatField(null=True)
    population_base = models.FloatField(null=True)
    population_horizon = models.FloatField(null=True)
    pop_80_plus_base = models.FloatField(null=True)
    pop_80_plus_horizon = models.FloatField(null=True)
    supply_today = models.FloatField()
    retiring = models.FloatField(null=True, help_text=_("capacities retiring by the horizon"))
    replaced = models.FloatField(null=True, help_text=_("the replaced part of the retiring"))
    supply_at_horizon = models.FloatField()
    coverage_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("the recruitment limit over the period, where it binds")
    )
    load_before = models.FloatField(null=True, help_text=_("null where there is no supply"))
    load_after = models.FloatField(null=True)
    coverage_rank = models.PositiveIntegerField(null=True)
    explanation = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("runs stored before their inputs were kept; newer runs rebuild it on read"),
    )

    class Meta:
        ordering = ["run_id", "municipality_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "municipality"], name="one_result_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.municipality_id}: +{self.total}"


class AreaResult(models.Model):
    """A run's results summed per area, for every geography, by the engine's ``aggregate``.

    The area is kept by slug and name as the run saw them (a record, like the run's
    inputs), so a later change of the reference data neither changes nor blocks it.
    """

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="area_results")
    geography = models.CharField(max_length=40)
    area = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    municipalities = models.PositiveSmallIntegerField()
    population = models.PositiveIntegerField()
    transition = models.PositiveIntegerField()
    coverage = models.PositiveIntegerField()
    accessibility = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    weighted_citizens = models.FloatField()  # at the horizon, as for a municipality
    weighted_citizens_base = models.FloatField(null=True)
    population_horizon = models.FloatField(null=True)
    pop_80_plus_base = models.FloatField(null=True)
    pop_80_plus_horizon = models.FloatField(null=True)
    supply_today = models.FloatField()
    retiring = models.FloatField(null=True)
    replaced = models.FloatField(null=True)
    supply_at_horizon = models.FloatField()
    supply_after = models.FloatField(help_text=_("supply at the horizon plus the new capacities"))
    load_before = models.FloatField(null=True, help_text=_("null where there is no supply"))
    load_after = models.FloatField(null=True)
    floor = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("the scenario's floor for the area, if it has one")
    )
    # The list capacity the loads after use: supply at the horizon plus each pillar's new
    # capacities times its list relief (docs/model.md#list-relief). Null on older runs.
    effective_supply_after = models.FloatField(null=True)
    # The statutory reference (docs/model.md#the-statutory-reference): the area's share of the
    # whole stock in proportion to W, the scenario's capacities after the new ones minus it,
    # and the load after minus the load at the share. Null on older runs.
    statutory = models.PositiveIntegerField(
        null=True, help_text=_("the area's share of the whole stock in proportion to need")
    )
    deviation = models.FloatField(
        null=True, help_text=_("capacities after the new ones minus the statutory share")
    )
    statutory_load = models.FloatField(null=True)
    statutory_load_gap = models.FloatField(
        null=True, help_text=_("load after minus the load at the statutory share")
    )

    class Meta:
        ordering = ["run_id", "geography", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "geography", "area"], name="one_area_result_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.geography}/{self.area}: +{self.total}"


class Placement(models.Model):
    class Kind(models.TextChoices):
        EXPANSION = "expansion", _("expansion of an existing ydernummer")
        NEW = "new", _("new ydernummer")

    class Reason(models.TextChoices):
        """Why the capacity went where it did (allocation.engine.placement.REASONS)."""

        MOST_LOADED = "most_loaded", _("most loaded practice")
        SOLO_TO_PARTNERSHIP = "solo_to_partnership", _("solo practice grows to partnership")
        NEW_STEERING = "new_steering", _("new ydernummer: national steering")
        NEW_NO_ROOM = "new_no_room", _("new ydernummer: the practices have no room")
        NEW_NO_PRACTICE = "new_no_practice", _("new ydernummer: no practice in the municipality")

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="placements")
    # Read by run (then filtered within it): the run's index is enough.
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    ydernummer = models.CharField(max_length=24)
    pillar = models.CharField(max_length=15, choices=Pillar.choices)
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Blank for runs stored before placements carried a reason code.
    reason_code = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["run_id", "year", "municipality_id", "id"]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.ydernummer} {self.year} {self.pillar} ({self.kind})"


class SensitivityBand(models.Model):
    class Level(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        AREA = "area", _("area")

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="sensitivity")
    level = models.CharField(max_length=12, choices=Level.choices)
    geography = models.CharField(max_length=40, blank=True)
    key = models.CharField(max_length=60, help_text=_("kommunekode or area slug"))
    p5 = models.FloatField()
    p50 = models.FloatField()
    p95 = models.FloatField()
    base = models.FloatField()

    class Meta:
        ordering = ["run_id", "level", "geography", "key"]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.level} {self.key}: {self.p5:g}-{self.p95:g}"
