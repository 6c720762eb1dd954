"""The one exception type that carries a user mistake found while reading or loading a file."""

from __future__ import annotations

import re

# Control characters (newlines included) from a file name or cell would break the one-line rule.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class IngestError(ValueError):
    """Bad input a user can fix; the message says what is wrong and what to do (one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(_CONTROL.sub(" ", str(message)).strip())
