"""``python -m clipdesk``: the desktop app (as the ``clipdesk`` command; used to restart it)."""

from clipdesk.launch import gui

if __name__ == "__main__":
    gui()
