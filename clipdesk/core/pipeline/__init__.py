"""The indexing pipeline: decode worker processes, pixel geometry, GPU decoding, writer."""
