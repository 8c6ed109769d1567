"""Shared vocabulary for validated imports: every problem names its file, row and field.

Imports in Klyngeplan validate every row first and apply nothing unless all rows pass; the
errors collected here are what the user sees.
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


class ImportFailed(Exception):
    """Raised with every error found; the database is left as it was."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ErrorCollector:
    file: str
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int | None, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.file, row, field_name, message))

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
            raise ImportFailed(self.errors)
