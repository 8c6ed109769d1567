"""The engine is pure Python, numpy and pandas: no module of it imports Django."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[3] / "allocation" / "engine"


def _django_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] == "django"]
    return found


def test_the_check_finds_an_import() -> None:
    assert _django_imports("import numpy\n\ndef f():\n    from django.db import models\n") == [
        "line 4: django.db"
    ]


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_no_engine_module_imports_django(path: Path) -> None:
    assert _django_imports(path.read_text(encoding="utf-8")) == []
