"""Dates as a person reads them in the UI language: "July 6, 2015 10:23 AM", "2015年7月6日 10:23"
(never the two-digit-year "7/6/15" of Qt's short format, which reads differently per country)."""

from __future__ import annotations

import re
from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

_WEEKDAY = re.compile(r"[,，\s]*d{4}[,，\s]*")  # "dddd, " in the long date format


def date_format(locale: QLocale | None = None) -> str:
    """The locale's long date format without the weekday, e.g. ``MMMM d, yyyy``."""
    locale = locale or QLocale()
    long_format = locale.dateFormat(QLocale.FormatType.LongFormat)
    return _WEEKDAY.sub(lambda m: " " if m.start() and m.end() < len(long_format) else "",
                        long_format).strip()


def moment_text(when: datetime, locale: QLocale | None = None) -> str:
    """``when`` as a date and a time in ``locale`` (default: the UI's)."""
    locale = locale or QLocale()
    moment = QDateTime(QDate(when.year, when.month, when.day),
                       QTime(when.hour, when.minute, when.second))
    pattern = f"{date_format(locale)} {locale.timeFormat(QLocale.FormatType.ShortFormat)}"
    return locale.toString(moment, pattern)
