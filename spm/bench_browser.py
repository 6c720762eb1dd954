"""Browser render times of the app's pages: Streamlit started on a free port, system Chromium.

A render is done when the app's script run has finished and the main block shows content.
Two browsers are timed. A *returning* browser has opened the app before: its HTTP cache holds
Streamlit's code (served `immutable` for a year), as for anyone who used the dashboard last
week. A *new* browser has an empty profile and downloads and compiles all of it first.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEALTH_TIMEOUT_S = 60.0
SETTLE_MS = 500
VIEWPORT = {"width": 1400, "height": 1000}

# The script run state behind Streamlit's "Running..." indicator, read off the app root. The
# indicator itself proves nothing here: toolbarMode "minimal" never shows it, and it appears only
# after 500 ms of running. The state reads "initial" until the first run starts, so it cannot
# pass early. Elements whose code is still loading show a skeleton: none may be left. Charts
# are drawn by Vega after the run; those on screen must have drawn.
DONE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const main = document.querySelector("[data-testid='stMain']");
  return app !== null && main !== null && app.dataset.testScriptState === "notRunning"
    && main.querySelector("[data-testid='stElementContainer']:not(:empty)") !== null
    && main.querySelector("[data-testid='stSkeleton']") === null
    && Array.from(main.querySelectorAll("[data-testid='stVegaLiteChart']"))
         .every((c) => c.getClientRects().length === 0 || c.querySelector("canvas, svg"));
}"""
# Counts script runs, so a rerun that starts and ends between two looks is still seen.
COUNT_RUNS = """
window.__spmRuns = 0;
new MutationObserver((changes) => {
  for (const c of changes) if (c.target.dataset.testScriptState === "running") window.__spmRuns++;
}).observe(document,
           {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
"""
# An exception box holds an error alert too: count the outer box once.
ERRORS = (
    "[data-testid='stException'],"
    " [data-testid='stAlertContentError']:not([data-testid='stException'] *)"
)


class Render(TypedDict):
    """Milliseconds to a rendered page: first visit after server start, median of repeats.

    `first_ms` and `repeat_ms` are a returning browser's, `new_*` those of a new browser.
    """

    first_ms: float | None
    repeat_ms: float | None
    new_first_ms: float | None
    new_repeat_ms: float | None
    error: str | None


class BrowserUnavailable(RuntimeError):
    """Chromium or the playwright package is missing, or Chromium does not launch."""


def render_times(
    db: str,
    paths: list[str],
    runs: int = 3,
    *,
    browser: Any | None = None,
    timeout_s: float = 300.0,
    script: Path | None = None,
) -> dict[str, Render]:
    """Return, per path, first and median repeat render times in milliseconds, for both browsers.

    `script` serves another Streamlit script than the app (see `floor_times`).

    A first visit is the first of its path after the server starts, so it also fills
    Streamlit's cache. The server runs twice on one address: first for new browsers (a fresh
    profile per visit), whose visits also fill the returning browser's HTTP cache; then,
    restarted with empty caches, for the returning browser (a new tab per visit). A page that
    shows an error or never renders gets None times and its error text. Pass `browser` to
    reuse a running Playwright Chromium.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    if browser is not None:
        return _measure(browser, db, script, paths, runs, timeout_s * 1000)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BrowserUnavailable(f"the playwright package cannot be imported ({exc})") from exc
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:
            raise BrowserUnavailable(f"Chromium did not launch ({_first_line(exc)})") from exc
        try:
            return _measure(launched, db, script, paths, runs, timeout_s * 1000)
        finally:
            launched.close()


FLOOR_SCRIPT = 'import streamlit as st\n\nst.title("SPM Dashboard")\nst.write("Floor")\n'


def floor_times(runs: int = 3, *, browser: Any | None = None) -> Render:
    """Return the render times of a one-line Streamlit app in the same harness: the floor.

    What Chromium and Streamlit's frontend cost on this machine before any page does anything;
    page render times read against it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "floor.py"
        script.write_text(FLOOR_SCRIPT, encoding="utf-8")
        return render_times(str(Path(tmp) / "unused.duckdb"), ["/"], runs, browser=browser,
                            script=script)["/"]  # fmt: skip


Visit = tuple[float, "str | None"]


def _measure(
    browser: Any, db: str, script: Path | None, paths: list[str], runs: int, timeout_ms: float
) -> dict[str, Render]:
    """Return the render times of each path, visited once and then `runs` more times."""
    port = _free_port()
    new: dict[str, list[Visit]] = {}
    returning: dict[str, list[Visit]] = {}
    context = browser.new_context(viewport=VIEWPORT)
    try:
        with _app(db, script, port) as base:
            for path in paths:
                new[path] = [_visit_new(browser, base + path, timeout_ms) for _ in range(runs + 1)]
                _visit(context, base + path, timeout_ms)  # the returning browser's earlier visit
        with _app(db, script, port) as base:
            for path in paths:
                returning[path] = [
                    _visit(context, base + path, timeout_ms) for _ in range(runs + 1)
                ]
    finally:
        context.close()
    out: dict[str, Render] = {}
    for path in paths:
        first, first_repeat = _times(returning[path])
        new_first, new_repeat = _times(new[path])
        errors = [e for _, e in returning[path] + new[path] if e]
        out[path] = {
            "first_ms": first,
            "repeat_ms": first_repeat,
            "new_first_ms": new_first,
            "new_repeat_ms": new_repeat,
            "error": errors[0] if errors else None,
        }
    return out


def _times(visits: list[Visit]) -> tuple[float | None, float | None]:
    """Return the first visit's milliseconds and the median of the others; None where one failed."""
    (first, first_error), repeats = visits[0], visits[1:]
    return (
        None if first_error else first,
        None if any(e for _, e in repeats) else statistics.median(ms for ms, _ in repeats),
    )


def _visit_new(browser: Any, url: str, timeout_ms: float) -> Visit:
    """Return `_visit` of `url` by a new browser: a context with an empty profile."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return _visit(context, url, timeout_ms)
    finally:
        context.close()


def _visit(context: Any, url: str, timeout_ms: float) -> Visit:
    """Return the milliseconds from goto to a rendered page in a new tab, and its error text."""
    page = context.new_page()
    try:
        page.add_init_script(COUNT_RUNS)
        page.set_default_timeout(timeout_ms)
        start = time.perf_counter()
        try:
            page.goto(url)
            page.wait_for_function(DONE, polling=20)
            end = time.perf_counter()
            # A run may trigger another (st.rerun, a widget syncing its value): the page is
            # rendered only once it stays idle, and its time is that of the last run's end.
            seen = page.evaluate("window.__spmRuns")
            while True:
                page.wait_for_timeout(SETTLE_MS)
                now = page.evaluate("window.__spmRuns")
                if now == seen and page.evaluate(DONE):
                    break
                seen = now
                page.wait_for_function(DONE, polling=20)
                end = time.perf_counter()
        except Exception as exc:  # a page that never renders is a result, not a crash
            ms = (time.perf_counter() - start) * 1000
            return ms, f"{type(exc).__name__}: {_first_line(exc)}"
        ms = (end - start) * 1000
        shown = [_first_line(t) for t in page.locator(ERRORS).all_inner_texts()]
        return ms, " | ".join(t for t in shown if t)[:500] or None
    finally:
        page.close()


def _first_line(text: object) -> str:
    """Return the first non-blank line of `text`, or an empty string."""
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def _free_port() -> int:
    """Return a TCP port that is free on localhost now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _app(db: str, script: Path | None, port: int) -> Iterator[str]:
    """Run the app (or `script`) on `db` at `port`; yield its base URL; stop it on exit."""
    start = (
        ["-m", "spm", "serve", "--db", str(db), "--"]
        if script is None
        else ["-m", "streamlit", "run", str(script)]
    )
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, *start,
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT,
            env={**os.environ, "SPM_DB": str(db)},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(server, base, log)
            yield base
        finally:
            _stop(server)


def _wait_healthy(server: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
    """Return once the app answers its health check; raise RuntimeError with its last stderr."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    log.seek(0)
    tail = (log.read().decode(errors="replace").strip().splitlines() or ["no stderr"])[-1]
    state = "exited" if server.poll() is not None else "hung"
    raise RuntimeError(
        f"the app did not become healthy in {HEALTH_TIMEOUT_S:.0f} s ({state}): {tail}"
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group, killing it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue
