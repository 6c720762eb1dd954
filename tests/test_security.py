"""Injection and exposure: no string-built SQL, safe exports, locked-down app config, no eval."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from spm import store
from spm.export import html_page, neutralise, safe_csv
from spm.ingest import readers

ROOT = Path(__file__).resolve().parents[1]
SPM = ROOT / "spm"

SQL_METHODS = {"execute", "executemany", "sql", "query", "from_query", "read_sql", "read_sql_query"}

# The only places that splice identifiers into SQL, and the names they may splice. Each name is
# a whitelisted table name, a list of quoted identifiers, or a constant subquery (see the code).
ALLOWED_SPLICES: dict[tuple[str, str], set[str]] = {
    ("spm/store.py", "insert_frame"): {"table", "cols"},
    ("spm/store.py", "delete_load_rows"): {"table"},
    ("spm/ingest/load.py", "undo_load"): {"table"},
    ("spm/demo.py", "_clear_demo"): {"table", "demo"},
}
# Statement text may also come from spm.sql.sql_text(name): a packaged .sql file whose name is
# checked to be a plain word (see test_sql_text_reads_only_packaged_queries).
SQL_TEXT_READERS = {"sql_text"}


def _constant_names(tree: ast.Module) -> set[str]:
    """Return module-level names bound to literals (or containers of literals and constants)."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _is_literal(node.value, out):
                out.update(t.id for t in targets if isinstance(t, ast.Name))
    return out


def _is_literal(node: ast.AST, constants: set[str]) -> bool:
    """Return True for a literal, a known constant, or a dict/tuple/list built only of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.Dict):
        return all(_is_literal(v, constants) for v in node.values) and all(
            k is None or _is_literal(k, constants) for k in node.keys
        )
    if isinstance(node, ast.Tuple | ast.List):
        return all(_is_literal(e, constants) for e in node.elts)
    return False


def _reads_sql_text(node: ast.AST) -> bool:
    """Return True for a call of spm.sql.sql_text (packaged query text)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in SQL_TEXT_READERS


def _local_literals(func: ast.AST) -> set[str]:
    """Return names a function assigns only from string literals or packaged query text."""
    assigned: dict[str, bool] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    safe = isinstance(node.value, ast.Constant) or _reads_sql_text(node.value)
                    assigned[t.id] = assigned.get(t.id, True) and safe
    return {name for name, ok in assigned.items() if ok}


def sql_problems(source: str, path: str) -> list[str]:
    """Return 'path:line: why' for each SQL call whose statement is built from non-constants."""
    tree = ast.parse(source)
    constants = _constant_names(tree)
    problems: list[str] = []

    def check(call: ast.Call, func_name: str, local: set[str]) -> None:
        if not call.args:
            return
        arg = call.args[0]
        site = (path, func_name)
        where = f"{path}:{call.lineno}"
        if isinstance(arg, ast.Constant) or _reads_sql_text(arg):
            return
        if isinstance(arg, ast.Name):
            if arg.id in constants or arg.id in local:
                return
            problems.append(f"{where}: SQL from variable {arg.id!r}")
            return
        if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
            if arg.value.id in constants:
                return  # e.g. _MIGRATIONS[version]: a module-level dict of literals
        if isinstance(arg, ast.JoinedStr):
            allowed = ALLOWED_SPLICES.get(site, set())
            for part in arg.values:
                if not isinstance(part, ast.FormattedValue):
                    continue
                value = part.value
                if not (isinstance(value, ast.Name) and value.id in allowed):
                    problems.append(f"{where}: f-string splices {ast.unparse(value)!r} into SQL")
            return
        problems.append(f"{where}: SQL built by {type(arg).__name__} ({ast.unparse(arg)[:60]})")

    def visit(node: ast.AST, func_name: str, local: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name, local | _local_literals(child))
                continue
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in SQL_METHODS
            ):
                check(child, func_name, local)
            visit(child, func_name, local)

    visit(tree, "<module>", set())
    return problems


def spm_sources() -> list[tuple[str, str]]:
    return [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted(SPM.rglob("*.py"))
    ]


def test_no_string_built_sql_in_spm():
    problems = [p for path, src in spm_sources() for p in sql_problems(src, path)]
    assert problems == []


def test_allowed_splice_sites_still_exist():
    """A stale whitelist entry would silently allow a future unsafe site of the same name."""
    sources = dict(spm_sources())
    for path, func in ALLOWED_SPLICES:
        tree = ast.parse(sources[path])
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        if func not in names:
            pytest.fail(f"{path} no longer defines {func}: remove it from the whitelist")


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("def f(con, v):\n    con.execute(f\"SELECT * FROM t WHERE x = '{v}'\")\n", "splices 'v'"),
        ("def f(con, c):\n    con.execute('SELECT ' + c)\n", "BinOp"),
        ("def f(con, c):\n    con.execute('SELECT {}'.format(c))\n", "Call"),
        ("def f(con, c):\n    con.execute('SELECT %s' % c)\n", "BinOp"),
        ("def f(con, c):\n    q = f'SELECT {c}'\n    con.execute(q)\n", "variable 'q'"),
        ("def insert_frame(con, t):\n    con.execute(f'DELETE FROM {t.name}')\n", "t.name"),
        ("def undo_load(con, kind):\n    con.execute(f'DELETE FROM {kind}')\n", "'kind'"),
        ("def f(con, v):\n    con.sql(f'SELECT {v}')\n", "splices 'v'"),
    ],
)
def test_the_sql_scan_catches_unsafe_code(code, found):
    problems = sql_problems(code, "spm/store.py" if "insert_frame" in code else "spm/x.py")
    if "undo_load" in code:
        problems = sql_problems(code, "spm/ingest/load.py")
    assert len(problems) == 1 and found in problems[0], problems


@pytest.mark.parametrize(
    "code",
    [
        "def f(con, v):\n    con.execute('SELECT * FROM t WHERE x = ?', [v])\n",
        "Q = 'SELECT 1'\ndef f(con):\n    con.execute(Q)\n",
        "M = {1: 'CREATE TABLE t (x INT)'}\ndef f(con, v):\n    con.execute(M[v])\n",
        "def f(con):\n    q = 'SELECT 1'\n    con.execute(q)\n",
        "def f(con):\n    text = sql.sql_text('summary')\n    con.execute(text)\n",
    ],
)
def test_the_sql_scan_allows_bound_parameters_and_constants(code):
    assert sql_problems(code, "spm/x.py") == []


@pytest.mark.parametrize("name", ["../store", "x; DROP", "summary.sql", "a/b", ""])
def test_sql_text_reads_only_packaged_queries(name):
    from spm.sql import sql_text

    with pytest.raises(ValueError, match="not a query name"):
        sql_text(name)


def test_insert_frame_refuses_a_table_outside_the_whitelist(tmp_path):
    con = store.connect(tmp_path / "x.duckdb")
    try:
        with pytest.raises(ValueError, match="not a loadable table"):
            store.insert_frame(con, "loads; DROP TABLE loads", pd.DataFrame({"a": [1]}))
        with pytest.raises(ValueError, match="not a loadable table"):
            store.delete_load_rows(con, "loads", 1)
        assert con.execute("SELECT count(*) FROM loads").fetchone() == (0,)
    finally:
        con.close()


# --- no code execution on data -------------------------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "cloudpickle", "joblib"}
FORBIDDEN_ATTRS = {"read_pickle", "to_pickle", "system", "popen", "load_module"}


def code_problems(source: str, path: str) -> list[str]:
    """Return uses of eval/exec/pickle/shell in one module."""
    out = []
    for node in ast.walk(ast.parse(source)):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            out += [f"{where}: import {a.name}" for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_MODULES:
            out.append(f"{where}: from {node.module} import …")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                out.append(f"{where}: {f.id}()")
            if isinstance(f, ast.Attribute) and f.attr in FORBIDDEN_ATTRS:
                out.append(f"{where}: .{f.attr}()")
            for kw in node.keywords:
                if kw.arg == "shell" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    out.append(f"{where}: shell=True")
            if isinstance(f, ast.Attribute) and f.attr == "load" and ast.unparse(f) == "yaml.load":
                out.append(f"{where}: yaml.load")
    return out


def test_no_eval_exec_pickle_or_shell_in_spm():
    problems = [p for path, src in spm_sources() for p in code_problems(src, path)]
    assert problems == []


@pytest.mark.parametrize(
    "code",
    [
        "import pickle\n",
        "x = eval(cell)\n",
        "exec(cell)\n",
        "import pandas as pd\npd.read_pickle(p)\n",
        "import subprocess\nsubprocess.run(cmd, shell=True)\n",
        "import os\nos.system(cmd)\n",
    ],
)
def test_the_code_scan_catches_each_forbidden_use(code):
    assert len(code_problems(code, "spm/x.py")) == 1


# --- exports ---------------------------------------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x.test","click")',
    "+cmd",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_neutralise_prefixes_every_formula_start(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Acme", "1,200", "", "O'Brien", "a=b", 12.5, None])
def test_neutralise_leaves_plain_values(cell):
    assert neutralise(cell) == cell


def test_safe_csv_neutralises_cells_and_headers_and_keeps_numbers():
    frame = pd.DataFrame(
        {"=owner": ["=cmd|' /C calc'!A0", "Ann"], "amount": [-5.0, 3.0], "note": ["@SUM(1)", None]}
    )
    assert safe_csv(frame) == ("'=owner,amount,note\n'=cmd|' /C calc'!A0,-5.0,'@SUM(1)\nAnn,3.0,\n")


def test_html_page_escapes_text_tables_and_headers():
    frame = pd.DataFrame({"<b>owner</b>": ["<script>alert(1)</script>"], "n": [1]})
    page = html_page(
        "<img src=x onerror=alert(1)>", [("<h1>x</h1>", frame), ("note", "<a href=x>")], "<i>s</i>"
    )
    assert "<script>" not in page and "<img" not in page and "<a href" not in page
    assert "<b>owner</b>" not in page and "<i>s</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;owner&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- app configuration -----------------------------------------------------------------------


def test_streamlit_config_is_locked_down():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == readers.MAX_FILE_MB
    assert config["browser"]["gatherUsageStats"] is False
