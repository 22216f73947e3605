"""PyInstaller entry point: start the clipdesk window (``clipdesk.launch.gui``).

Nothing is imported before ``freeze_support`` (inside ``gui``): a decode worker process of the
frozen app starts this same executable, and must become the worker, not a second window.
"""

from clipdesk.launch import gui

if __name__ == "__main__":
    gui()
