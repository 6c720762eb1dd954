"""Layout rules from the style guide that a reviewer should not have to check by eye."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pages_hold_no_sql():
    offenders = [
        f"{path.name}:{n}"
        for path in sorted((ROOT / "views").glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.execute\(|\bSELECT\b|\bINSERT\b|\bDELETE FROM\b", line)
    ]
    assert offenders == []


def test_every_page_file_is_registered_in_the_app():
    app = (ROOT / "app.py").read_text()
    for path in (ROOT / "views").glob("*.py"):
        assert f'"views/{path.name}"' in app, path.name


def test_every_sql_file_is_used():
    code = "\n".join(p.read_text() for p in (ROOT / "spm").rglob("*.py"))
    unused = [p.stem for p in (ROOT / "spm" / "sql").glob("*.sql") if f'"{p.stem}"' not in code]
    assert unused == []
