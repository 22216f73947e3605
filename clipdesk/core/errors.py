"""Errors that carry one plain sentence for the person using clipdesk.

Every error the CLI or the GUI shows is a :class:`ClipdeskError`; its ``str()`` is the message to
show, without a traceback. Anything else reaching the top level is a bug and goes to the log.
"""

from __future__ import annotations


class ClipdeskError(Exception):
    """Base of all errors with a user-facing message."""


class ModelError(ClipdeskError):
    """A model could not be found, downloaded or loaded."""


class UnknownModel(ModelError):
    """No built-in or imported model has this id."""


class WeightsMissing(ModelError):
    """The weights file is not on this computer (and downloading was not possible or not asked)."""


class InvalidCheckpoint(ModelError):
    """A file that was meant to be model weights is not a valid checkpoint for that model."""


class DownloadError(ModelError):
    """A download failed or its checksum did not match."""


class StoreError(ClipdeskError):
    """The library database or its vector cache could not be used."""


class StoreLocked(StoreError):
    """Another clipdesk process is writing to the same data folder."""


class DiskFull(StoreError):
    """The disk holding the data folder is full; nothing partial was kept."""


class PipelineError(ClipdeskError):
    """The indexing pipeline itself failed (decode workers that cannot start)."""


class StoreCorrupt(StoreError):
    """The library database file is damaged; ``path`` names it. Restoring a backup repairs it."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path
