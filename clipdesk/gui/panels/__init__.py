"""The panels of the main window (search, library)."""
