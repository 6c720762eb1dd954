"""Read CRM exports, map and validate their columns, and load them as one transaction."""

from spm.ingest.errors import IngestError
from spm.ingest.load import (
    LoadResult,
    Prepared,
    commit,
    ingest_bytes,
    ingest_file,
    load_history,
    prepare,
    rejects_of,
    undo_load,
)

__all__ = [
    "IngestError",
    "LoadResult",
    "Prepared",
    "commit",
    "ingest_bytes",
    "ingest_file",
    "load_history",
    "prepare",
    "rejects_of",
    "undo_load",
]
