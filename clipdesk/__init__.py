"""clipdesk: search your own photo library by meaning, in Chinese or English.

Importing this package imports no torch, faiss or Qt; those load lazily where used.
"""

__version__ = "0.1.0"
