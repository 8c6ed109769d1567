"""The engine's docstrings and docs/model.md's own links cite sections that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CITATION = re.compile(r"docs/model\.md(#[a-z0-9-]+)?((?:,?\s*#[a-z0-9-]+)*)")


def anchors() -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in (ROOT / "docs" / "model.md").read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^a-z0-9 -]", "", title).replace(" ", "-"))
    return out


def test_every_cited_section_exists() -> None:
    known = anchors()
    cited: dict[str, set[str]] = {}
    for path in [*(ROOT / "allocation" / "engine").glob("*.py"), ROOT / "README.md"]:
        text = path.read_text()
        for match in CITATION.finditer(text):
            for anchor in re.findall(r"#([a-z0-9-]+)", match.group(0)):
                cited.setdefault(anchor, set()).add(path.name)
    assert "coverage" in cited  # the docstrings do cite sections
    own = (ROOT / "docs" / "model.md").read_text()
    for anchor in re.findall(r"\]\(#([a-z0-9-]+)\)", own):
        cited.setdefault(anchor, set()).add("model.md")
    missing = {a: sorted(files) for a, files in cited.items() if a not in known}
    assert not missing, missing
