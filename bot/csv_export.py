"""CSV files people open in Excel: UTF-8 with a BOM (Japanese Excel then reads it as UTF-8), and no cell that a
spreadsheet would run as a formula (CSV injection: a value starting with = + - @ or a control gets a quote)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A cell Excel won't run as a formula: risky first characters get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as a CSV file (CRLF line ends, every text cell neutralised; numbers stay numbers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [value if isinstance(value, int | float) and not isinstance(value, bool) else cell(value) for value in row]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def content_disposition(filename: str, stand_in: str) -> str:
    """An attachment named `filename`: UTF-8 in `filename*` (RFC 6266), and `stand_in` (ASCII) for clients that
    only read `filename`."""
    return f"attachment; filename=\"{stand_in}\"; filename*=UTF-8''{quote(filename, safe='')}"
