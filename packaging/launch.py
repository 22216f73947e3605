"""PyInstaller entry point: start the clipdesk window (``clipdesk.app.main``)."""

import multiprocessing
import sys

from clipdesk.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # no-op unless a library starts worker processes
    sys.exit(main())
