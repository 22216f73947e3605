"""The composition root of the core: one data folder, its settings, models and library.

The CLI and the GUI both build an :class:`Engine` and ask it for what they need; encoders are
loaded once per model id and kept, so a second query does not reload weights.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.config import Settings, load_settings, save_settings
from clipdesk.paths import DataPaths

if TYPE_CHECKING:
    from clipdesk.core.indexer import Indexer
    from clipdesk.core.jobs import CancelToken
    from clipdesk.core.models.base import Encoder, ModelInfo
    from clipdesk.core.models.registry import ModelRegistry
    from clipdesk.core.search import Searcher
    from clipdesk.core.store import Library
    from clipdesk.core.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

MIN_INDEX_BATCH = 32  # photos per commit at least, whatever the model's batch on the device


class Engine:
    """Everything that belongs to one data folder."""

    def __init__(self, paths: DataPaths, settings: Settings | None = None) -> None:
        self.paths = paths.ensure()
        self.settings = settings if settings is not None else load_settings(paths.settings_file)
        self._encoders: dict[str, Encoder] = {}
        self._lock = threading.Lock()
        self._registry: ModelRegistry | None = None
        from clipdesk.core.imaging import set_pillow_pixel_limit

        # Pillow's own global bomb limit (179 MP) would refuse what our setting allows
        set_pillow_pixel_limit(self.settings.max_megapixels * 1_000_000)

    @classmethod
    def open(cls, data_dir: str | Path | None = None) -> Engine:
        return cls(DataPaths.resolve(data_dir))

    def save_settings(self) -> None:
        save_settings(self.settings, self.paths.settings_file)

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            from clipdesk.core.models.registry import ModelRegistry

            self._registry = ModelRegistry(self.paths)
        return self._registry

    def model_info(self, model_id: str) -> ModelInfo:
        return self.registry.get(model_id)

    def encoder(
        self,
        model_id: str,
        *,
        download: bool = False,
        progress: Callable[[int, int], None] | None = None,
        token: CancelToken | None = None,
    ) -> Encoder:
        """The loaded encoder for ``model_id``; loads it (and downloads if asked) the first time."""
        with self._lock:
            cached = self._encoders.get(model_id)
        if cached is not None:
            return cached
        from clipdesk.core.models import load_encoder

        info = self.registry.get(model_id)
        encoder = load_encoder(
            info,
            self.paths,
            device=self.settings.device,
            batch_size=self.settings.batch_size or None,
            download=download,
            progress=progress,
            token=token,
        )
        with self._lock:
            return self._encoders.setdefault(model_id, encoder)

    def loaded_encoders(self) -> dict[str, Encoder]:
        with self._lock:
            return dict(self._encoders)

    def library(self, *, write: bool = False) -> Library:
        from clipdesk.core.store import Library

        return Library.open(self.paths, write=write)

    def thumbnails(self) -> ThumbnailCache:
        from clipdesk.core.thumbnails import ThumbnailCache

        return ThumbnailCache(self.paths.thumbnail_dir, size=self.settings.thumbnail_size)

    def indexer(self, library: Library, encoder: Encoder) -> Indexer:
        """An indexer with the settings: the batch fills the device (the encoder's own batch
        size, chosen from free memory, unless the settings name one), one decode worker per
        core unless set, GPU decoding of JPEGs unless turned off."""
        from clipdesk.core.indexer import Indexer

        batch = self.settings.batch_size or max(
            MIN_INDEX_BATCH, int(getattr(encoder, "batch_size", 0) or 0))
        return Indexer(
            library,
            encoder,
            thumbnails=self.thumbnails(),
            batch_size=batch,
            decode_workers=self.settings.decode_workers,
            max_pixels=self.settings.max_megapixels * 1_000_000,
            gpu_decode=self.settings.gpu_decode,
        )

    def searcher(self, library: Library) -> Searcher:
        from clipdesk.core.search import Searcher

        return Searcher(
            library, self.encoder, self.model_info, preferred_model=self.settings.model_id
        )
