"""The bench's page recorder: run a page under AppTest and log the spm calls it makes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from spm.bench import ROOT, encode_arg
from spm.ui import state


def record_main(spec: str) -> None:
    """Child process of `spm.bench.record_page`: print one JSON line of calls and timings."""
    args = json.loads(spec)
    parts = urlsplit(args["url"])
    log: list[tuple[str, Any, Any, float]] = []
    cached = state.cached

    def recording(fn: Callable[..., Any]) -> Callable[..., Any]:
        inner = cached(fn)

        def call(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                ms = (time.perf_counter() - start) * 1000
                log.append((f"{fn.__module__}:{fn.__qualname__}", a, k, ms))

        return call

    state.cached = recording  # the views look the name up on every run

    def visit() -> tuple[float, str | None]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
        for key, value in parse_qsl(parts.query):
            at.query_params[key] = value
        at.run()
        if parts.path.strip("/"):
            log.clear()
            at.switch_page(f"views/{parts.path.strip('/')}.py")
            start = time.perf_counter()
            at.run()
        else:
            start = time.perf_counter()  # home ran above: time a rerun of it as the visit
            log.clear()
            at.run()
        error = at.exception[0].value if len(at.exception) else None
        return (time.perf_counter() - start) * 1000, error

    first_ms, error = visit()
    calls = [(name, encode_arg(list(a)), encode_arg(k)) for name, a, k, _ in log]
    log.clear()
    repeat_ms, _ = visit()
    warm = sum(ms for *_, ms in log)
    result = {"calls": calls, "warm_ms": warm, "first_ms": first_ms, "repeat_ms": repeat_ms}
    print(json.dumps({**result, "error": error}))
