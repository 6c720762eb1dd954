"""Shared widgets through AppTest: a table's row limit, its caption, and what its CSV holds."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from spm.ui import widgets
from tests.test_pages import db  # noqa: F401 (a fixture: the app's settings need a database)


@pytest.fixture
def downloads(monkeypatch):
    """Record the frame each table hands its CSV download, by table name."""
    seen: dict[str, pd.DataFrame] = {}
    monkeypatch.setattr(widgets, "_download_csv", lambda frame, name: seen.__setitem__(name, frame))
    return seen


def _page() -> None:
    import pandas as pd

    from spm.ui import widgets

    deals = pd.DataFrame({"deal": [f"D{i}" for i in range(250)], "amount": range(250)})
    widgets.table(deals, "deals", order="largest first")
    widgets.table(deals.head(3), "short")
    widgets.table(deals, "all of them", limit=None)
    raw = pd.DataFrame({"metric": ["win_rate"], "median": [0.2817]})
    widgets.table(pd.DataFrame({"KPI": ["Win rate"], "team median": ["28%"]}), "bench",
                  download=raw)  # fmt: skip


def test_tables_show_200_rows_by_default_and_their_csv_every_row(db, downloads):  # noqa: F811
    at = AppTest.from_function(_page).run()
    assert not at.exception
    shown = [len(d.value) for d in at.dataframe]
    assert shown == [200, 3, 250, 1]
    assert [c.value for c in at.caption] == [
        "Showing 200 of 250 rows (largest first); the CSV download has them all."
    ]
    assert len(downloads["deals"]) == 250 and len(downloads["all of them"]) == 250
    # a table shown as formatted text downloads the numbers behind it
    assert downloads["bench"].to_dict("records") == [{"metric": "win_rate", "median": 0.2817}]
