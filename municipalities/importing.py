"""Shared vocabulary for validated imports: every problem names its file, row and field.

Imports in Klyngeplan validate every row first and apply nothing unless all rows pass; the
errors collected here are what the user sees. Warnings (plausibility: a value that may be
right but looks wrong) refuse a file too, until the user confirms them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None  # 1-based data row (the header is row 0); None for file-level problems
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" if self.row is not None else self.file
        return f"{where}, field '{self.field}': {self.message}"


# A file full of the same mistake would otherwise bury the reader in messages (and the
# server in memory): the first ones are kept, all are counted.
MAX_ERRORS = 200


def _listing(problems: list[RowError], total: int) -> str:
    lines = [str(e) for e in problems]
    if total > len(problems):
        lines.append(f"... and {total - len(problems)} more (the first {len(problems)} shown)")
    return "\n".join(lines)


class ImportFailed(Exception):
    """Raised with the errors found (the first :data:`MAX_ERRORS`) and their ``total``; the
    database is left as it was."""

    def __init__(self, errors: list[RowError], *, total: int | None = None) -> None:
        self.errors = errors
        self.total = max(total or 0, len(errors))
        super().__init__(_listing(errors, self.total))


class WarningsNotAccepted(ImportFailed):
    """The file is valid but some values look implausible; nothing is written until the
    user confirms them (the page's confirmation, the commands' ``--accept-warnings``)."""


class RevertRefused(Exception):
    """An import batch cannot be reverted; the message says why (nothing was changed)."""


@dataclass
class ErrorCollector:
    file: str
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, row: int | None, field_name: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(self.file, row, field_name, message))

    @property
    def full(self) -> bool:
        """Enough errors are kept: a caller may stop looking for more of the same kind."""
        return self.total >= MAX_ERRORS

    def integer(self, row: int, field_name: str, raw: str | None, *, minimum: int = 0) -> int:
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            self.add(row, field_name, f"expected a whole number, got {raw!r}")
            return 0
        if value < minimum:
            self.add(row, field_name, f"must be at least {minimum}, got {value}")
        return value

    def number(self, row: int, field_name: str, raw: str | None, *, minimum: float = 0.0) -> float:
        text = str(raw).strip().replace(",", ".") if raw is not None else ""
        try:
            value = float(text)
        except ValueError:
            self.add(row, field_name, f"expected a number, got {raw!r}")
            return 0.0
        if math.isnan(value) or math.isinf(value):
            self.add(row, field_name, f"expected a finite number, got {raw!r}")
            return 0.0
        if value < minimum:
            self.add(row, field_name, f"must be at least {minimum:g}, got {value:g}")
        return value

    def text(self, row: int, field_name: str, raw: str | None) -> str:
        value = (raw or "").strip()
        if not value:
            self.add(row, field_name, "must not be empty")
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportFailed(self.errors, total=self.total)


# --- previews: what a file would change, shown before anything is written ---------------


@dataclass(frozen=True)
class Change:
    """One value a file sets: ``old`` is None when the value does not exist yet."""

    field: str
    old: object
    new: object


@dataclass(frozen=True)
class PreviewItem:
    row: int
    key: str  # what the row is about: "101 København, 2026" or "012345 Lægehuset"
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Preview:
    """What applying a file would do, computed without writing: the created and updated
    items (each with its values old → new), the unchanged count, every error (the first
    :data:`MAX_ERRORS` and their total) and the warnings a user must confirm."""

    kind: str
    file_name: str
    sha256: str
    rows: int = 0
    created: tuple[PreviewItem, ...] = ()
    updated: tuple[PreviewItem, ...] = ()
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()
    error_total: int = 0
    warnings: tuple[RowError, ...] = ()
    warning_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.updated)

    def raise_unless_applicable(self, *, accept_warnings: bool) -> None:
        """ImportFailed with the errors; WarningsNotAccepted with unconfirmed warnings."""
        if self.errors:
            raise ImportFailed(list(self.errors), total=self.error_total)
        if self.warnings and not accept_warnings:
            raise WarningsNotAccepted(list(self.warnings), total=self.warning_total)


def failed_preview(*, kind: str, file_name: str, sha256: str, exc: ImportFailed) -> Preview:
    return Preview(
        kind=kind,
        file_name=file_name,
        sha256=sha256,
        errors=tuple(exc.errors),
        error_total=exc.total,
    )
