"""The PySide6 layer over :mod:`clipdesk.core`: windows, panels, workers.

Only this package (and ``clipdesk.app``) may import Qt; the core must never import it
(checked by the import-linter contract in pyproject.toml).
"""
