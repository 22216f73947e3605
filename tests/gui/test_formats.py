"""Dates in the UI language, with a four-digit year and without the weekday."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import QLocale

from clipdesk.gui.formats import moment_text

WHEN = datetime(2015, 7, 6, 10, 23)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_US", "July 6, 2015 10:23\u202fAM"),  # a narrow no-break space, as CLDR writes it
    ("en_GB", "6 July 2015 10:23"),
    ("zh_CN", "2015年7月6日 10:23"),
    ("de_DE", "6. Juli 2015 10:23"),
])
def test_moments_read_the_same_everywhere(locale: str, expected: str) -> None:
    assert moment_text(WHEN, QLocale(locale)) == expected
    assert "15 " not in moment_text(WHEN, QLocale(locale)).replace("2015", "")  # no "7/6/15"
