"""Row exports through PostgreSQL's `COPY (SELECT …) TO STDOUT`: the drill-down rows as CSV, and
the rows of an XLSX sheet, formatted by the database and written to the file as they arrive,
without a model instance or a Python cell per value. Measured at 1,000,000 complaints
(docs/performance.md, "Exports at COPY speed"): the ORM path was ~19× the time of a bare `COPY`
of the table.

The rows are the scoped queryset's: its SQL is compiled by Django (`for_user`, the filters, the
subset's condition, the joins its columns read — nothing re-implemented here) and wrapped in a
SELECT that formats each column as `reporting/drill.py`'s `text` and `reporting/exports.py`'s
`_cell` do: choice labels in the current language, tracking numbers in their display form,
local times in the current time zone, amounts in yuan with two decimals, booleans 是/否, and
the leading apostrophe that keeps text from being run as a formula. The file is the same, byte
for byte (CSV) or cell for cell (XLSX), as the ORM path writes, which stays for SQLite:
tests/reporting/test_copy_export.py exports every base both ways and compares.

No column here decrypts anything: the drill-down rows list no personal data of complainants
(reporting/drill.py), so the encrypted columns are never read — the ORM path decrypted them on
every complaint it loaded without showing them.

CSV: PostgreSQL's CSV quoting is Python's `csv` default (QUOTE_MINIMAL: a field with a comma,
a quote, CR or LF is quoted, quotes doubled) except for two things handled here: an empty
string is written quoted unless it is NULL (so every empty cell is made NULL), and each line
ends in LF where Python's ends in CRLF (each row arrives as one message ending in LF; the LF
becomes CRLF).

XLSX: the worksheet's XML is written by the database too, one `<row>` per COPY row (inline
strings, so no shared-string table grows with the rows), and deflated into the package as it
arrives; the rest of the package (styles with the same number formats, the workbook, the
header row) is small and written here. Text is XML-escaped and stripped of the control
characters XML cannot hold (openpyxl refuses them: the ORM path fails on such a value)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import IO, Any
from xml.sax.saxutils import escape

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Model, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from arrears.spreadsheets import FORMULA_START, neutralise
from arrears.streaming import copy_alias, copy_to
from reporting import drill

Tick = Callable[[int], None]

# Rows between two writes to the file (and two progress ticks).
BATCH = 2000
# zlib's level for the sheet (zipfile's default, openpyxl's too): bench/bench_exports.py found
# level 1 no faster — the database building the rows is the bottleneck — and its file 27 %
# larger (docs/performance.md, "Exports at COPY speed").
COMPRESSLEVEL = 6


# For the export's statement only: a whole-table export is read by a sequential scan and sorted
# by id in memory. Left alone, at 10,000,000 rows the planner chose a backward scan of the
# primary key index with nested-loop joins: 0.34x COPY's rows/s, against 1.27x with these
# (docs/performance.md). Bitmap scans stay allowed, so a selective filter (a county's month)
# still reads through its index.
PLANNER = {"enable_indexscan": "off", "work_mem": "256MB"}


def supported(qs: QuerySet[Any]) -> bool:
    return connections[qs.db].vendor == "postgresql"


# --- SQL fragments -----------------------------------------------------------------------------


class _Sql:
    """Builds the SELECT for one queryset on one connection: literals are quoted by the
    driver (the SQL goes to COPY, which takes no parameters)."""

    def __init__(self, alias: str) -> None:
        # PostgreSQL's operations (compose_sql: psycopg2's mogrify), not the base class's.
        self.ops: Any = connections[alias].ops

    def compose(self, sql: str, params: Any) -> str:
        return str(self.ops.compose_sql(sql, params))

    def lit(self, value: Any) -> str:
        return self.compose("%s", [value])

    def neutralise(self, ref: str) -> str:
        """spreadsheets.neutralise in SQL, over a column reference (cheap to repeat)."""
        starts = ", ".join(self.lit(c) for c in FORMULA_START)
        return f"CASE WHEN left({ref}, 1) IN ({starts}) THEN '''' || {ref} ELSE {ref} END"

    def shown(self, model: type[Model], column: drill.Column, ref: str, xml: bool = False) -> str:
        """The column's text (before a spreadsheet sees it) as drill.text writes it; NULL for
        an empty cell. `xml`: escaped for an XML element (constants escaped here, stored text
        in SQL)."""
        kind = column.kind
        const = (lambda text: self.lit(escape(text))) if xml else self.lit
        if kind == drill.BOOL:
            yes, no = const(str(_("是"))), const(str(_("否")))
            return f"CASE WHEN {ref} THEN {yes} WHEN NOT {ref} THEN {no} END"
        if kind == drill.YUAN:
            return f"round({ref}, 2)::text"
        if kind == drill.DATETIME:
            zone = self.lit(timezone.get_current_timezone_name())
            return f"to_char({ref} AT TIME ZONE {zone}, 'YYYY-MM-DD HH24:MI')"
        if kind == drill.DATE:
            return f"to_char({ref}, 'YYYY-MM-DD')"
        if kind == drill.INT:
            return f"({ref})::text"
        if column.show == drill.TRACKING:
            return f"NULLIF({self.tracking(ref)}, '')"  # letters, digits and a dash only
        text = self.text(f"({ref})::text", xml)
        if column.show == drill.LABEL:
            # drill._show: the label of a known value, the value itself otherwise, "" for none.
            field = _field(model, column.path)
            labels = drill._labels(field.model._meta.label, field.name, get_language() or "")
            whens = " ".join(
                f"WHEN {self.lit(str(value))} THEN {const(neutralise(label))}"
                for value, label in labels.items()
            )
            text = f"CASE ({ref})::text {whens} ELSE {text} END"
        return f"NULLIF({text}, '')"

    def text(self, ref: str, xml: bool) -> str:
        """Stored text, neutralised, and for XML escaped — only when it holds a character that
        needs it (one test; most values hold none) — with the control characters XML cannot
        hold removed."""
        value = self.neutralise(ref)
        if not xml:
            return value
        controls = "".join(chr(c) for c in [*range(1, 9), 11, 12, *range(14, 32)])
        escaped = f"translate({value}, {self.lit(controls)}, '')"
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = f"replace({escaped}, '{char}', '{entity}')"
        escaped = f"replace(replace({escaped}, chr(10), '&#10;'), chr(13), '&#13;')"
        special = self.lit(f"[&<>{controls}\n\r]")
        return f"CASE WHEN {ref} ~ {special} THEN {escaped} ELSE {value} END"

    def tracking(self, ref: str) -> str:
        """complaints.tracking.format_tracking_no: a stored number (ten capitals and digits)
        split by a dash; anything else normalised as that function does (NFKC, upper case,
        letters and digits only). Never starts like a formula, so never neutralised."""
        clean = f"regexp_replace(upper(normalize({ref}, NFKC)), '[^A-Z0-9]', '', 'g')"
        return (
            f"CASE WHEN {ref} ~ '^[A-Z0-9]{{10}}$' THEN left({ref}, 5) || '-' || right({ref}, 5) "
            f"WHEN length({clean}) = 10 THEN left({clean}, 5) || '-' || right({clean}, 5) "
            f"ELSE {clean} END"
        )


def _field(model: type[Model], path: str) -> Any:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model  # type: ignore[assignment]
    return model._meta.get_field(name)


def _inner(base: str, qs: QuerySet[Any], alias: str) -> str:
    """The queryset's own SQL (scope, filters, joins) selecting the columns' raw values as
    c0…cN and the primary key as k, with its parameters inlined. EmptyResultSet when Django
    knows there are no rows (`pk__in=[]`): no query then."""
    if tuple(qs.query.order_by) != ("-pk",):
        raise ValueError(f"a row export is ordered by -pk (rows_queryset): {qs.query.order_by}")
    columns = drill.COLUMNS[base]
    values = {f"c{i}": F(column.path) for i, column in enumerate(columns)}
    raw = qs.order_by().values(**values, k=F("pk"))
    sql, params = raw.query.get_compiler(using=alias).as_sql()
    return _Sql(alias).compose(sql, params)


def csv_sql(base: str, qs: QuerySet[Any], alias: str) -> str:
    sql = _Sql(alias)
    model = qs.model
    cells = ", ".join(
        sql.shown(model, column, f"s.c{i}") for i, column in enumerate(drill.COLUMNS[base])
    )
    return (
        # Literals quoted by the driver, the rest the queryset's SQL and fixed text.
        f"COPY (SELECT {cells} FROM ({_inner(base, qs, alias)}) s ORDER BY s.k DESC) "  # noqa: S608
        "TO STDOUT (FORMAT csv)"
    )


# --- CSV ---------------------------------------------------------------------------------------


def write_csv(out: IO[bytes], base: str, qs: QuerySet[Any], tick: Tick) -> None:
    """The header and the rows as UTF-8 CSV with a byte-order mark, as
    spreadsheets.write_csv(exports.rows_lines(…)) writes them."""
    from arrears.spreadsheets import write_csv as write_lines

    write_lines(out, [[str(c.label) for c in drill.COLUMNS[base]]])
    alias = copy_alias(qs)
    live = alias != "default"
    pending: list[bytes] = []
    counted = 0

    def row(data: bytes) -> None:
        nonlocal counted
        pending.append(data[:-1] + b"\r\n")
        if len(pending) == BATCH:
            out.write(b"".join(pending))
            pending.clear()
            counted += BATCH
            if live:
                tick(BATCH)

    try:
        sql = csv_sql(base, qs, alias)
    except EmptyResultSet:
        sql = ""
    if sql:
        copy_to(alias, sql, row, PLANNER)
    out.write(b"".join(pending))
    rows = counted + len(pending)
    tick(len(pending) if live else rows)


# --- XLSX --------------------------------------------------------------------------------------

# Cell styles of the package's styles.xml, by index: the header's bold, then one per number
# format of exports.NUMBER_FORMATS that a row column uses (3 and 4 are Excel's built-in
# "#,##0" and "#,##0.00"; 164 and 165 are declared).
HEADER_STYLE = 1
NUMBER_STYLES = {drill.INT: 2, drill.YUAN: 3, drill.DATE: 4, drill.DATETIME: 5}

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(title: str) -> str:
    return (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _header_row(labels: list[str]) -> str:
    cells = "".join(
        f'<c r="{_letter(i)}1" s="{HEADER_STYLE}" t="inlineStr"><is><t xml:space="preserve">'
        f"{escape(label)}</t></is></c>"
        for i, label in enumerate(labels)
    )
    return f'<row r="1">{cells}</row>'


def xlsx_sql(base: str, qs: QuerySet[Any], alias: str) -> str:
    """One row of sheet XML per COPY row: `<row r="n">` and its cells, as openpyxl writes
    exports._cell's values (strings inline; numbers, dates and times as numbers with the
    column's format; an empty cell left out)."""
    sql = _Sql(alias)
    model = qs.model
    cells = []
    for i, column in enumerate(drill.COLUMNS[base]):
        ref = f"t.c{i}"
        start = f"'<c r=\"{_letter(i)}' || t.n || '\""
        kind = column.kind
        if kind in NUMBER_STYLES:
            value = {
                drill.INT: f"({ref})::text",
                # openpyxl writes "%.16g": no trailing zeros (9000, 30000.5).
                drill.YUAN: f"trim_scale({ref})::text",
                drill.DATE: f"({ref} - DATE '1899-12-30')::text",
                # openpyxl's to_excel: whole days since 1899-12-30 plus the time as a fraction
                # of a day (the local time, as drill._local gives it, seconds included).
                drill.DATETIME: (
                    f"(({ref} AT TIME ZONE {sql.lit(timezone.get_current_timezone_name())})"
                    f"::date - DATE '1899-12-30' + extract(epoch FROM ({ref} AT TIME ZONE "
                    f"{sql.lit(timezone.get_current_timezone_name())})::time)::float8 / 86400)"
                    "::text"
                ),
            }[kind]
            cell = f"{start} s=\"{NUMBER_STYLES[kind]}\"><v>' || {value} || '</v></c>'"
        else:
            text = sql.shown(model, column, ref, xml=True)
            cell = (
                f'{start} t="inlineStr"><is><t xml:space="preserve">\' || {text} || '
                "'</t></is></c>'"
            )
        cells.append(f"COALESCE({cell}, '')")
    row = "'<row r=\"' || t.n || '\">' || " + " || ".join(cells) + " || '</row>'"
    # The row number once per row (as text), in the export's order; no second sort.
    numbered = (
        "SELECT s.*, (row_number() OVER (ORDER BY s.k DESC) + 1)::text AS n "  # noqa: S608
        f"FROM ({_inner(base, qs, alias)}) s"
    )
    # CSV with a quote and a delimiter that never occur (XML cannot hold them, and they are
    # stripped from text): each row comes out exactly as built, one line.
    return (
        f"COPY (SELECT {row} FROM ({numbered}) t ORDER BY t.k DESC) "  # noqa: S608
        "TO STDOUT (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"
    )


def write_xlsx(out: IO[bytes], base: str, qs: QuerySet[Any], title: str, tick: Tick) -> None:
    """The rows as a one-sheet workbook, the sheet deflated as its rows arrive (memory stays
    flat: nothing is kept per row)."""
    alias = copy_alias(qs)
    live = alias != "default"
    labels = [str(c.label) for c in drill.COLUMNS[base]]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _workbook(title[:31]))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>{_header_row(labels)}'.encode()
            )
            pending: list[bytes] = []
            counted = 0

            def row(data: bytes) -> None:
                nonlocal counted
                pending.append(data)
                if len(pending) == BATCH:
                    sheet.write(b"".join(pending))
                    pending.clear()
                    counted += BATCH
                    if live:
                        tick(BATCH)

            try:
                sql = xlsx_sql(base, qs, alias)
            except EmptyResultSet:
                sql = ""
            if sql:
                copy_to(alias, sql, row, PLANNER)
            sheet.write(b"".join(pending))
            sheet.write(b"</sheetData></worksheet>")
    rows = counted + len(pending)
    tick(len(pending) if live else rows)
