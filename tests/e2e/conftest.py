"""Browser fixtures: start the Streamlit app on a free port and drive it with headless Chromium.

Every test in this folder is marked ``e2e``. Without Chromium or Playwright the tests are
skipped, unless ``SPM_REQUIRE_BROWSER=1`` is set, in which case they fail instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from spm.bench_browser import CHROMIUM, CHROMIUM_ARGS  # one launch recipe for tests and bench

REPO = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT = 60.0
WAIT_MS = 30_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test collected under tests/e2e as ``e2e``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> None:
    """Skip, or fail when SPM_REQUIRE_BROWSER=1 says the browser must be there."""
    if os.environ.get("SPM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SPM_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Yield a headless Chromium launched through Playwright, shared by the session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package cannot be imported ({exc})")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """Return ``start_app(db_path) -> base_url``; every app started is stopped at teardown."""
    servers: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start_app(db_path: Path) -> str:
        port = _free_port()
        env = {**os.environ, "SPM_DB": str(db_path)}
        log = open(tmp_path / f"streamlit_{port}.log", "w+b")  # noqa: SIM115 (closed at teardown)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spm",
                "serve",  # what `make run` starts
                "--db",
                str(db_path),
                "--",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        servers.append((server, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=1):
                    return base
            except OSError:
                time.sleep(0.5)
        log.flush()
        log.seek(0)
        stderr = log.read().decode(errors="replace")
        state = f"exited with code {server.returncode}" if server.poll() is not None else "hung"
        pytest.fail(
            f"the app did not become healthy in {HEALTH_TIMEOUT:.0f} s ({state}); "
            f"stderr:\n{stderr}",
            pytrace=False,
        )

    yield start_app
    for server, log in servers:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait(timeout=10)
        log.close()


def wait_for_app(page: Any, timeout: float = WAIT_MS) -> None:
    """Wait until the Streamlit app is mounted and has finished its current script run."""
    # The status widget is absent with toolbarMode = "minimal", so ask the app element itself.
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout
    )


def errors_on(page: Any) -> list[str]:
    """Return the texts of the exceptions and error boxes Streamlit shows on the page."""
    problems = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    return [t.strip() for t in problems.all_inner_texts() if t.strip()]
