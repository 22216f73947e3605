"""The results grid: list model, thumbnail loader, delegate and view (model/view, calibre-style)."""
