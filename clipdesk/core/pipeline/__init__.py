"""The indexing pipeline: keeps the model's device busy while photos are read and stored.

- :mod:`.embed` -- the pipeline itself (workers -> encoder -> writer), used by the indexer;
- :mod:`.pool` -- decode worker processes, shared-memory pixel slots, crash and hang handling;
- :mod:`.worker` -- what one worker does with one file (hash, decode, thumbnail, pixels);
- :mod:`.geometry` -- a model's resize/crop as data, run with Pillow exactly as its library does;
- :mod:`.jpeg` -- which JPEGs the GPU's decoder takes, from the header;
- :mod:`.gpu` -- nvJPEG decoding, geometry and thumbnails on the GPU (imports torch);
- :mod:`.writer` -- the thread that commits finished batches.

Importing this package imports nothing heavy; only :mod:`.gpu` needs torch.
"""
