"""The library store: SQLite (the truth) through SQLAlchemy, and a FAISS cache per model.

Importing this package imports SQLAlchemy but not faiss (loaded when an index is first needed).
"""

from clipdesk.core.store.library import Library
from clipdesk.core.store.records import (
    FileMove,
    FileUpdate,
    LibraryStats,
    StoredFile,
    Tag,
    TagSource,
)

__all__ = [
    "FileMove",
    "FileUpdate",
    "Library",
    "LibraryStats",
    "StoredFile",
    "Tag",
    "TagSource",
]
