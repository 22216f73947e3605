"""The Qt-free engine of clipdesk: models, imaging, store, indexer, search.

Nothing under ``clipdesk.core`` may import Qt (an import-linter contract checks it), and importing
``clipdesk.core`` itself imports no torch or faiss: backends load them lazily.
"""
