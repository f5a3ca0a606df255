"""Text bound for a spreadsheet (CSV or XLSX exports). Names and descriptions come from the
public complaint form and imports; Excel runs a cell that starts with = + - @ (or a tab or
carriage return before one) as a formula, so such text is written with a leading apostrophe,
which spreadsheets show as plain text. Importers take the apostrophe off again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.http import StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def restore(value: str) -> str:
    """The text as typed, from a cell `neutralise` wrote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


class _Echo:
    """csv.writer writes into this and gets the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Rows (the header first) as a CSV download, streamed as they are produced, so memory
    stays flat however many there are. A byte-order mark lets Excel read the UTF-8 Chinese."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_csv(out: IO[bytes], lines: Iterable[Sequence[Any]]) -> None:
    """Lines into a binary file (a job's result) as UTF-8 CSV with the same byte-order mark."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    text.write("\ufeff")
    csv.writer(text).writerows(lines)
    text.flush()
    text.detach()  # the caller owns the file and closes it
