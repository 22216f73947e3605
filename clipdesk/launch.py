"""The installed commands' entry points: nothing heavy is imported before the real ``main``.

clipdesk's decode workers are processes started with ``spawn``, which imports the launching script
again in every worker. Through these two functions that costs one tiny module, not Qt; and in a
frozen (PyInstaller) build, ``freeze_support`` turns a worker's start into the worker instead of a
second app.
"""

from __future__ import annotations

import multiprocessing
import sys


def gui() -> None:
    """``clipdesk``: the desktop app."""
    multiprocessing.freeze_support()
    from clipdesk.app import main

    main()


def cli() -> None:
    """``clipdesk-cli``: the command line."""
    multiprocessing.freeze_support()
    from clipdesk.cli import main

    sys.exit(main())
