"""The one exception type that carries a user mistake found while reading or loading a file."""

from __future__ import annotations


class IngestError(ValueError):
    """Bad input a user can fix; the message says what is wrong and what to do."""
