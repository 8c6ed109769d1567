"""reports/ shapes what the selectors read: none of its modules queries a model itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

REPORTS = Path(settings.BASE_DIR) / "reports"


def _modules() -> list[Path]:
    # The admin is Django's own interface on the models and builds its querysets as such;
    # migrations work on the historical models.
    return sorted(
        p
        for p in REPORTS.rglob("*.py")
        if p.name != "admin.py" and "migrations" not in p.relative_to(REPORTS).parts
    )


def _queries(source: str) -> list[str]:
    """Where a module reaches a model's manager (``X.objects``) or imports from
    django.db.models (QuerySet, Sum, F, ...)."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager"):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "django.db.models":
            found.append(f"line {node.lineno}: from django.db.models import ...")
    return found


def test_the_check_finds_a_query() -> None:
    source = "from django.db.models import Sum\nrows = Run.objects.filter(pk=1)\n"
    assert _queries(source) == ["line 1: from django.db.models import ...", "line 2: .objects"]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPORTS)))
def test_reports_reads_through_the_selectors(path: Path) -> None:
    assert _queries(path.read_text(encoding="utf-8")) == []
