"""Versioned schema steps: ``MIGRATIONS[i]`` upgrades a database from version ``i`` to ``i + 1``.

Each step is explicit SQL frozen at the time it was written (never ``create_all`` on today's ORM
classes, which would make old steps change meaning). :func:`migrate` applies the missing steps in
order inside one ``BEGIN IMMEDIATE`` transaction, so a crash leaves the database at its old version
and two processes opening a new data folder at once do not both create the tables.

To change the schema: append a step (``ALTER TABLE ...`` or create-copy-rename for what SQLite
cannot alter), update :mod:`.schema` to match, and add a test that opens a database made at the
previous version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from sqlalchemy import Connection, text

from clipdesk.core.errors import StoreError

log = logging.getLogger(__name__)

Migration = Callable[[Connection], None]


def _split(sql: str) -> list[str]:
    """The statements of ``sql`` (a trigger's body keeps its own semicolons)."""
    parts: list[str] = []
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                parts.append(pending.strip().rstrip(";"))
            pending = ""
    if pending.strip(" \n;"):
        parts.append(pending.strip().rstrip(";"))
    return parts


def _statements(sql: str) -> Migration:
    parts = _split(sql)

    def step(conn: Connection) -> None:
        for statement in parts:
            conn.exec_driver_sql(statement)

    return step


_V1 = """
CREATE TABLE schema_version (
    id INTEGER NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE roots (
    id INTEGER NOT NULL PRIMARY KEY,
    path VARCHAR NOT NULL UNIQUE,
    state VARCHAR NOT NULL,
    added_at DATETIME NOT NULL,
    last_scan_at DATETIME,
    CONSTRAINT ck_roots_state CHECK (state IN ('online', 'offline'))
);
CREATE TABLE files (
    id INTEGER NOT NULL PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
    relpath VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    content_hash VARCHAR,
    width INTEGER,
    height INTEGER,
    taken_at DATETIME,
    status VARCHAR NOT NULL,
    skip_reason VARCHAR,
    indexed_at DATETIME NOT NULL,
    CONSTRAINT uq_files_root_relpath UNIQUE (root_id, relpath),
    CONSTRAINT ck_files_status CHECK (status IN ('ok', 'skipped'))
);
CREATE INDEX ix_files_content_hash ON files (content_hash);
CREATE INDEX ix_files_size ON files (size);
CREATE INDEX ix_files_taken_at ON files (taken_at);
CREATE TABLE models (
    model_id VARCHAR NOT NULL PRIMARY KEY,
    dim INTEGER NOT NULL,
    generation INTEGER NOT NULL
);
CREATE TABLE embeddings (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    model_id VARCHAR NOT NULL REFERENCES models (model_id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    CONSTRAINT uq_embeddings_file_model UNIQUE (file_id, model_id)
);
CREATE INDEX ix_embeddings_model_file ON embeddings (model_id, file_id);
CREATE TABLE vector_cache (
    model_id VARCHAR NOT NULL PRIMARY KEY REFERENCES models (model_id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    checksum VARCHAR NOT NULL,
    count INTEGER NOT NULL,
    max_row INTEGER NOT NULL,
    filename VARCHAR NOT NULL,
    written_at DATETIME NOT NULL
);
CREATE TABLE tags (
    id INTEGER NOT NULL PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    label VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    score FLOAT,
    model_id VARCHAR,
    CONSTRAINT uq_tags_file_label_source UNIQUE (file_id, label, source),
    CONSTRAINT ck_tags_source CHECK (source IN ('auto', 'manual'))
);
CREATE INDEX ix_tags_label ON tags (label);
"""

# files whose place is gone are kept and marked, never deleted by a scan (an unplugged drive
# mounted inside a library folder, a folder moved away): purged only when the person says so;
# and what a root's last scan found, and which model's indexing of it has not finished (so
# that "640 of 1,908 indexed" is shown and the work resumes after a quit or a crash)
_V2 = """
ALTER TABLE files ADD COLUMN missing_since DATETIME;
CREATE INDEX ix_files_missing_since ON files (missing_since);
ALTER TABLE roots ADD COLUMN found_count INTEGER;
ALTER TABLE roots ADD COLUMN pending_model VARCHAR;
"""

# the folders a root's last scan could not list (permissions, a dying disk): kept so that
# ``status --errors`` and the window can name them long after the run that met them
_V3 = """
CREATE TABLE unreadable_folders (
    id INTEGER NOT NULL PRIMARY KEY,
    root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
    relpath VARCHAR NOT NULL,
    seen_at DATETIME NOT NULL,
    CONSTRAINT uq_unreadable_root_relpath UNIQUE (root_id, relpath)
);
"""

# the journal of tag changes (a tagging save, a rename, a merge, a delete): the tag rows of the
# touched keys before and after, so that the newest change can be undone exactly, even after a
# restart
_V4 = """
CREATE TABLE tag_changes (
    id INTEGER NOT NULL PRIMARY KEY,
    kind VARCHAR NOT NULL,
    labels VARCHAR NOT NULL,
    model_id VARCHAR,
    made_at DATETIME NOT NULL,
    undone_at DATETIME
);
CREATE TABLE tag_change_rows (
    id INTEGER NOT NULL PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES tag_changes (id) ON DELETE CASCADE,
    side VARCHAR NOT NULL,
    file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    label VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    score FLOAT,
    model_id VARCHAR,
    CONSTRAINT ck_tag_change_rows_side CHECK (side IN ('before', 'after'))
);
CREATE INDEX ix_tag_change_rows_change ON tag_change_rows (change_id);
"""

# the vector caches follow changes in proportion to them: every change to which vectors are
# searchable is logged by triggers (so no code path can forget it), as is each model's number
# of vectors (counting a million rows took a cold open 0.1-0.3 s), a cache records the last
# change it holds, and what changed since is applied as tombstones and a small delta; plus
# what the approximate index of a large library measured about itself. Caches of an older
# generation are forgotten (their changes were never logged) and rebuilt once.
_V5 = """
ALTER TABLE models ADD COLUMN vector_count INTEGER NOT NULL DEFAULT 0;
UPDATE models SET vector_count = (
    SELECT count(*) FROM embeddings WHERE embeddings.model_id = models.model_id);
CREATE TABLE vector_changes (
    seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL,
    model_id VARCHAR
);
CREATE TRIGGER vector_changes_added AFTER INSERT ON embeddings BEGIN
    INSERT INTO vector_changes (file_id, model_id) VALUES (NEW.file_id, NEW.model_id);
    UPDATE models SET vector_count = vector_count + 1 WHERE model_id = NEW.model_id;
END;
CREATE TRIGGER vector_changes_removed AFTER DELETE ON embeddings BEGIN
    INSERT INTO vector_changes (file_id, model_id) VALUES (OLD.file_id, OLD.model_id);
    UPDATE models SET vector_count = vector_count - 1 WHERE model_id = OLD.model_id;
END;
CREATE TRIGGER vector_changes_updated AFTER UPDATE ON embeddings BEGIN
    INSERT INTO vector_changes (file_id, model_id) VALUES (OLD.file_id, OLD.model_id);
    INSERT INTO vector_changes (file_id, model_id) VALUES (NEW.file_id, NEW.model_id);
    UPDATE models SET vector_count = vector_count - 1 WHERE model_id = OLD.model_id;
    UPDATE models SET vector_count = vector_count + 1 WHERE model_id = NEW.model_id;
END;
CREATE TRIGGER vector_changes_missing AFTER UPDATE OF missing_since ON files
WHEN (OLD.missing_since IS NULL) <> (NEW.missing_since IS NULL) BEGIN
    INSERT INTO vector_changes (file_id, model_id) VALUES (NEW.id, NULL);
END;
DELETE FROM vector_cache WHERE generation <> (
    SELECT models.generation FROM models WHERE models.model_id = vector_cache.model_id);
ALTER TABLE vector_cache ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vector_cache ADD COLUMN file_size INTEGER;
ALTER TABLE vector_cache ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'exact';
ALTER TABLE vector_cache ADD COLUMN nlist INTEGER;
ALTER TABLE vector_cache ADD COLUMN nprobe INTEGER;
ALTER TABLE vector_cache ADD COLUMN recall_image FLOAT;
ALTER TABLE vector_cache ADD COLUMN recall_text FLOAT
"""

MIGRATIONS: list[Migration] = [
    _statements(_V1),  # 0 -> 1: the first schema
    _statements(_V2),  # 1 -> 2: files.missing_since, roots.found_count, roots.pending_model
    _statements(_V3),  # 2 -> 3: unreadable_folders
    _statements(_V4),  # 3 -> 4: tag_changes, tag_change_rows (undo of tag changes)
    _statements(_V5),  # 4 -> 5: vector_changes (+ triggers), vector_cache.change_seq, ANN
]


def latest_version() -> int:
    return len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The schema version of the database behind ``conn``; 0 for an empty database."""
    exists = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).first()
    if exists is None:
        return 0
    row = conn.exec_driver_sql("SELECT version FROM schema_version WHERE id = 1").first()
    return int(row[0]) if row is not None else 0


def migrate(conn: Connection, target: int | None = None) -> tuple[int, int]:
    """Bring the database to ``target`` (default: the latest) inside the caller's transaction.

    Returns ``(from_version, to_version)``. A database from a newer clipdesk is refused with a
    :class:`StoreError` (its tables may mean things this version does not know).
    """
    steps = list(MIGRATIONS)
    goal = len(steps) if target is None else target
    version = current_version(conn)
    if version > len(steps):
        raise StoreError(
            f"This library was written by a newer clipdesk (schema {version}; this version knows "
            f"up to {len(steps)}). Update clipdesk to open it."
        )
    start = version
    while version < goal:
        log.info("upgrading library schema %d -> %d", version, version + 1)
        steps[version](conn)
        version += 1
        conn.execute(
            text(
                "INSERT INTO schema_version (id, version) VALUES (1, :v) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version"
            ),
            {"v": version},
        )
    return start, version
