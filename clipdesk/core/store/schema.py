"""The library's tables as SQLAlchemy 2 ORM classes.

These classes describe the *current* schema and are what the code queries with. The database file
itself is built and upgraded by the explicit, versioned steps in :mod:`.migrations` (never by
``create_all``); a test checks that the migrated schema and these classes agree.

- ``roots``: the folders the person added; ``state`` is online/offline (offline rows are kept);
  ``found_count`` is what the last scan found, ``pending_model`` the model whose indexing of the
  root did not finish (cancelled, quit, killed): the work resumes from there.
- ``files``: one row per file under a root, unique per (root, relative path). ``status`` is ok
  (decoded, thumbnail and metadata stored) or skipped (``skip_reason`` says why). Rows are only
  written once a file was fully processed, so a row always means "done" for its size/mtime.
  ``missing_since`` is set when a scan no longer finds the file: the row, its vectors and tags
  are kept (hidden from searches and counts) until it is found again or purged on request.
- ``embeddings``: one float32 vector per (file, model); deleted with their file. Triggers log
  every insert, update and delete in ``vector_changes`` and keep ``models.vector_count``.
- ``models``: per-model embedding size, *generation* (bumped in the same transaction as any
  change to that model's vectors; the FAISS cache compares against it) and number of vectors
  (kept by triggers on ``embeddings``).
- ``vector_cache``: what the FAISS file of a model holds (generation, checksum, size, count,
  the last ``vector_changes`` entry it reflects, exact or approximate and the approximate
  index's measured recall), written only after the file itself was fsynced and renamed into
  place. ``max_row`` (the largest embedding row id, how schemas 1-4 caught up on additions) is
  unused since schema 5.
- ``vector_changes``: which files' searchable vectors changed, in order, logged by triggers;
  a cache applies the entries after its ``change_seq`` (tombstones and a small delta) instead
  of being rewritten. Entries every cache holds are pruned.
- ``tags``: labels per file, automatic (zero-shot, with a score) or manual.
- ``tag_changes`` / ``tag_change_rows``: the journal of tag changes (a tagging save, a rename,
  a merge, a delete): the tag rows of the touched (file, label, source) keys before and after,
  so that the newest change not undone yet can be undone exactly. Rows go with their file.
- ``unreadable_folders``: the folders under a root that its last scan could not list (replaced
  by every scan of the root), for ``status --errors`` and the window's list of problems.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class FsPath(TypeDecorator[str]):
    """A file system path or name, stored losslessly.

    Python keeps the bytes of a name that is not valid UTF-8 as lone surrogates
    (``os.fsdecode``), which SQLite text cannot hold. Such a name is stored as a BLOB of its
    original bytes (``os.fsencode``); every other name as TEXT. The rule is the same both ways,
    so equal names are equal values and lookups, uniqueness and moves work for both kinds.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | bytes | None:
        if value is None:
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return os.fsencode(value)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if isinstance(value, bytes):
            return os.fsdecode(value)
        return value  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    pass


class SchemaVersionRow(Base):
    __tablename__ = "schema_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class RootRow(Base):
    __tablename__ = "roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(FsPath, nullable=False, unique=True)
    state: Mapped[str] = mapped_column(String, nullable=False, default="online")
    added_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime)
    found_count: Mapped[int | None] = mapped_column(Integer)  # files the last scan found
    pending_model: Mapped[str | None] = mapped_column(String)  # indexing not finished with it

    __table_args__ = (CheckConstraint("state IN ('online', 'offline')", name="ck_roots_state"),)


class FileRow(Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(
        ForeignKey("roots.id", ondelete="CASCADE"), nullable=False
    )
    relpath: Mapped[str] = mapped_column(FsPath, nullable=False)  # POSIX separators
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    mtime_ns: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content_hash: Mapped[str | None] = mapped_column(String)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String, nullable=False)
    skip_reason: Mapped[str | None] = mapped_column(String)
    indexed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    missing_since: Mapped[datetime | None] = mapped_column(DateTime)  # gone since; kept

    __table_args__ = (
        UniqueConstraint("root_id", "relpath", name="uq_files_root_relpath"),
        CheckConstraint("status IN ('ok', 'skipped')", name="ck_files_status"),
        Index("ix_files_content_hash", "content_hash"),
        Index("ix_files_size", "size"),
        Index("ix_files_taken_at", "taken_at"),
        Index("ix_files_missing_since", "missing_since"),
    )


class EmbeddingRow(Base):
    __tablename__ = "embeddings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.model_id", ondelete="CASCADE"), nullable=False
    )
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # float32, little-endian

    __table_args__ = (
        UniqueConstraint("file_id", "model_id", name="uq_embeddings_file_model"),
        Index("ix_embeddings_model_file", "model_id", "file_id"),
        {"sqlite_autoincrement": True},  # ids only grow, never reused
    )


class ModelRow(Base):
    __tablename__ = "models"

    model_id: Mapped[str] = mapped_column(String, primary_key=True)
    dim: Mapped[int] = mapped_column(Integer, nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    vector_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # triggers


class VectorCacheRow(Base):
    __tablename__ = "vector_cache"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.model_id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    checksum: Mapped[str] = mapped_column(String, nullable=False)  # xxh3:<hex> (or sha256)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    max_row: Mapped[int] = mapped_column(Integer, nullable=False)  # unused since schema 5
    filename: Mapped[str] = mapped_column(String, nullable=False)  # inside the vector folder
    written_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    change_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    file_size: Mapped[int | None] = mapped_column(Integer)  # bytes (None: an older version's)
    kind: Mapped[str] = mapped_column(String, nullable=False, default="exact")  # or "ivf"
    nlist: Mapped[int | None] = mapped_column(Integer)  # ivf: its k-means groups
    nprobe: Mapped[int | None] = mapped_column(Integer)  # ivf: groups scanned per query
    recall_image: Mapped[float | None] = mapped_column(Float)  # ivf: its measured recall@10
    recall_text: Mapped[float | None] = mapped_column(Float)


class VectorChangeRow(Base):
    """A file whose searchable vectors changed (``model_id`` None: every model's), written by
    triggers on ``embeddings`` and ``files.missing_since``."""

    __tablename__ = "vector_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(Integer, nullable=False)
    model_id: Mapped[str | None] = mapped_column(String)

    __table_args__ = ({"sqlite_autoincrement": True},)


class UnreadableFolderRow(Base):
    """A folder under a root that the root's last scan could not list."""

    __tablename__ = "unreadable_folders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(
        ForeignKey("roots.id", ondelete="CASCADE"), nullable=False
    )
    relpath: Mapped[str] = mapped_column(FsPath, nullable=False)  # POSIX separators
    seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("root_id", "relpath", name="uq_unreadable_root_relpath"),
    )


class TagRow(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), nullable=False
    )
    label: Mapped[str] = mapped_column(String, nullable=False)
    source: Mapped[str] = mapped_column(String, nullable=False)  # "auto" or "manual"
    score: Mapped[float | None] = mapped_column(Float)  # cosine/probability for auto tags
    model_id: Mapped[str | None] = mapped_column(String)  # the model that suggested it

    __table_args__ = (
        UniqueConstraint("file_id", "label", "source", name="uq_tags_file_label_source"),
        CheckConstraint("source IN ('auto', 'manual')", name="ck_tags_source"),
        Index("ix_tags_label", "label"),
    )


class TagChangeRow(Base):
    """One journaled tag change (see :class:`~clipdesk.core.store.records.TagChange`)."""

    __tablename__ = "tag_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String, nullable=False)  # save, rename, merge, delete
    labels: Mapped[str] = mapped_column(String, nullable=False)  # JSON list of labels
    model_id: Mapped[str | None] = mapped_column(String)
    made_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


class TagChangeEntryRow(Base):
    """A tag row as it was before (``side`` = "before") or after ("after") a change."""

    __tablename__ = "tag_change_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(
        ForeignKey("tag_changes.id", ondelete="CASCADE"), nullable=False
    )
    side: Mapped[str] = mapped_column(String, nullable=False)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), nullable=False
    )
    label: Mapped[str] = mapped_column(String, nullable=False)
    source: Mapped[str] = mapped_column(String, nullable=False)
    score: Mapped[float | None] = mapped_column(Float)
    model_id: Mapped[str | None] = mapped_column(String)

    __table_args__ = (
        CheckConstraint("side IN ('before', 'after')", name="ck_tag_change_rows_side"),
        Index("ix_tag_change_rows_change", "change_id"),
    )
