"""Shared widgets through AppTest: a table's row limit, its caption, and what its CSV holds."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from spm.ui import widgets
from tests import shown
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
    # long tables are interactive grids, short ones (up to STATIC_ROWS rows) static HTML
    assert [len(d.value) for d in at.dataframe] == [200, 250]
    short, bench = shown.tables(at)
    assert short.to_dict("list") == {"deal": ["D0", "D1", "D2"], "amount": ["0", "1", "2"]}
    assert bench.to_dict("list") == {"KPI": ["Win rate"], "team median": ["28%"]}
    assert [c.value for c in at.caption] == [
        "Showing 200 of 250 rows (largest first); the CSV download has them all."
    ]
    assert len(downloads["deals"]) == 250 and len(downloads["all of them"]) == 250
    # a table shown as formatted text downloads the numbers behind it
    assert downloads["bench"].to_dict("records") == [{"metric": "win_rate", "median": 0.2817}]


def test_a_static_table_formats_money_percents_dates_and_counts_and_escapes_text():
    frame = pd.DataFrame(
        {
            "rep": ["<b>Ann</b>", "Bo"],
            "open_amount": [1234.4, -50.0],
            "win_rate": [0.256, None],
            "deals": [1200, 3],
            "coverage": [2.5, 3.0],
            "as_of": pd.to_datetime(["2026-11-23", "2026-11-16"]),
            "made_quota": [True, False],
        }
    )
    got = widgets.table_html(frame, money_cols=("open_amount",), pct_cols=("win_rate",), symbol="€")
    assert "<th>rep</th>" in got and '<th class="num">open amount</th>' in got
    assert "&lt;b&gt;Ann&lt;/b&gt;" in got and "<b>Ann" not in got
    first = '<td>&lt;b&gt;Ann&lt;/b&gt;</td><td class="num">€1,234</td><td class="num">26%</td>'
    assert first in got
    assert (
        '<td class="num">1,200</td><td class="num">2.5</td><td>2026-11-23</td><td>yes</td>' in got
    )
    assert "<td>2026-11-16</td><td>no</td>" in got
    # a negative amount, a missing rate (empty), a whole float without decimals
    assert '<td class="num">-€50</td><td class="num"></td><td class="num">3</td>' in got


def test_tiles_colour_a_change_by_whether_up_is_good_and_escape_text():
    got = widgets.tiles_html(
        [
            widgets.Tile("Closed", "$1.2M", "-$300k", "Won <deals>", "normal"),
            widgets.Tile("Cycle", "41 d", "-3 d", tone="inverse"),
            widgets.Tile("Coverage", "2.7×", "need 3.8×"),
            None,
        ]
    )
    assert "repeat(4," in got
    assert 'title="Won &lt;deals&gt;"' in got
    assert '<div class="spm-tile-delta bad">↓ -$300k</div>' in got
    assert '<div class="spm-tile-delta good">↓ -3 d</div>' in got
    assert '<div class="spm-tile-delta">need 3.8×</div>' in got
    assert got.count('<div class="spm-tile">') == 4


def _tile_page() -> None:
    from spm.ui import widgets

    row = widgets.tile_row(3)
    row[2].metric("Third", "3")
    row[0].metric("First", "$1", delta="+$1", help="why")
    widgets.tile_row(1)[0].metric("Count", 5, delta=-3)  # numbers, as st.metric takes them


def test_a_tile_row_keeps_each_tile_in_its_place_as_one_element(db):  # noqa: F811
    at = AppTest.from_function(_tile_page).run()
    assert not at.exception
    assert len(at.get("html")) == 2 and not at.metric
    assert shown.tiles(at) == {"First": "$1", "Third": "3", "Count": "5"}
    assert shown.tile_deltas(at)["First"] == "↑ +$1"
    assert shown.tile_deltas(at)["Count"] == "↓ -3"
    body = at.get("html")[0].value
    assert body.index("First") < body.index("Third")
