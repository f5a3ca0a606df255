"""Import and export of the project registry (CSV or Excel). An import is all or nothing:
every row is checked first, and if any row is wrong nothing is saved and the report lists each
row's problems."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from arrears.models import County, Industry
from arrears.spreadsheets import neutralise, restore
from arrears.streaming import stream
from projects.models import InvestmentType, Project, ProjectStatus
from projects.services import project_assign_department, wage_record_save

COLUMNS = [
    "code",
    "name",
    "county_code",
    "industry_code",
    "address",
    "investment_type",
    "contract_value",
    "labour_cost_share",
    "start_date",
    "planned_completion",
    "status",
]
MAX_ROWS = 20000

WAGE_COLUMNS = [
    "project_code",
    "month",
    "labour_cost_paid_in",
    "workers_on_roll",
    "workers_paid",
    "amount_paid",
]

# The Chinese header of each column, as the templates carry them. Not translated: a file's
# header is data, and the same file must import whatever language the uploader's page is in.
HEADER_NAMES = {
    "code": "项目编号",
    "name": "项目名称",
    "county_code": "县（区）代码",
    "industry_code": "行业代码",
    "address": "项目地址",
    "investment_type": "投资类型",
    "contract_value": "合同价款",
    "labour_cost_share": "人工费用占比",
    "start_date": "开工日期",
    "planned_completion": "计划竣工日期",
    "status": "项目状态",
    "project_code": "项目编号",
    "month": "月份",
    "labour_cost_paid_in": "拨付人工费用（元）",
    "workers_on_roll": "考勤人数",
    "workers_paid": "发放人数",
    "amount_paid": "银行代发金额（元）",
}
# Chinese header → internal column. "项目编号" names `code` in the project file and
# `project_code` in the wage file; _read maps it to whichever the file's columns expect.
CHINESE_HEADERS = {v: k for k, v in HEADER_NAMES.items() if k != "project_code"}


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(name: str, content: bytes) -> Iterator[dict[str, str]]:
    if name.lower().endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        rows = sheet.iter_rows(values_only=True)
        header = [_field(str(h or "")) for h in next(rows, ())]
        for values in rows:
            yield {
                h: ""
                if v is None
                else (v.isoformat() if isinstance(v, datetime.datetime) else str(v)).strip()
                for h, v in zip(header, values, strict=False)
            }
        return
    for row in csv.DictReader(io.StringIO(decode(content))):
        # Text this application exported carries an apostrophe before a formula-like start.
        yield {_field(k): restore((v or "").strip()) for k, v in row.items() if k}


def decode(content: bytes) -> str:
    """A CSV file's text. UTF-8 (with the BOM Excel's "CSV UTF-8" writes, or without) first;
    anything else is taken as GB18030, what Excel in China saves as plain "CSV" (a superset of
    GBK and GB2312, so those files read too). GB18030 decodes nearly any bytes, so UTF-8 must be
    tried first or UTF-8 files would come out garbled."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _field(header: str) -> str:
    """The internal column a header names: the Chinese header of the template, or the internal
    name itself (older files and this application's exports use those)."""
    header = header.strip()
    return CHINESE_HEADERS.get(header, header)


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value[:10]) if value else None


def _decimal(value: str) -> Decimal | None:
    return Decimal(value.replace(",", "")) if value else None


def _read(
    report: ImportReport, name: str, content: bytes, columns: list[str]
) -> list[dict[str, str]] | None:
    """The file's rows, or None with the reason in `report`: unreadable, or a header without
    the first of `columns` (the key a row is matched by)."""
    try:
        rows = list(_rows(name, content))
    except (UnicodeDecodeError, csv.Error, ValueError, KeyError, OSError) as exc:
        report.errors.append((0, _("无法读取文件：%(e)s") % {"e": exc}))
        return None
    if "project_code" in columns:
        rows = [{("project_code" if k == "code" else k): v for k, v in r.items()} for r in rows]
    if not rows or columns[0] not in rows[0]:
        report.errors.append(
            (
                1,
                _("表头应为：%(z)s（或 %(c)s）")
                % {"z": ",".join(HEADER_NAMES[c] for c in columns), "c": ",".join(columns)},
            )
        )
        return None
    return rows


def project_import(*, name: str, content: bytes, progress: Any = None) -> ImportReport:
    """`progress` (a job's, arrears.jobs.Progress) is told the row count and each row checked."""
    report = ImportReport()
    counties = {c.code: c for c in County.objects.all()}
    industries = {i.code: i for i in Industry.objects.all()}
    # Codes on record, then each code met in the file: a second row with one is refused.
    taken = set(Project.objects.values_list("code", flat=True))
    projects: list[Project] = []
    rows = _read(report, name, content, COLUMNS)
    if rows is None:
        return report
    if len(rows) > MAX_ROWS:
        report.errors.append((0, _("一次最多导入 %(n)s 行") % {"n": MAX_ROWS}))
        return report
    if progress is not None:
        progress.expect(len(rows))
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if progress is not None:
            progress.advance()
        problems, project = _project_row(row, counties, industries, taken)
        if project is None:
            report.errors += [(number, p) for p in problems]
            continue
        projects.append(project)
    if report.errors:
        return report
    with transaction.atomic():
        for project in Project.objects.bulk_create(projects, batch_size=1000):
            project_assign_department(project=project)
    report.created = len(projects)
    return report


def _project_row(
    row: dict[str, str],
    counties: dict[str, County],
    industries: dict[str, Industry],
    taken: set[str],
) -> tuple[list[str], Project | None]:
    """One row's problems, or (no problems) the unsaved project it describes. Adds the row's
    code to `taken`."""
    problems = []
    code = row.get("code", "")
    if not code:
        problems.append(_("缺少项目编号"))
    elif code in taken:
        problems.append(_("项目编号 %(c)s 已存在") % {"c": code})
    taken.add(code)
    if not row.get("name"):
        problems.append(_("缺少项目名称"))
    county = counties.get(row.get("county_code", ""))
    if county is None:
        problems.append(_("未知的县（区）代码 %(c)s") % {"c": row.get("county_code", "")})
    industry = industries.get(row.get("industry_code", ""))
    if industry is None:
        problems.append(_("未知的行业代码 %(c)s") % {"c": row.get("industry_code", "")})
    investment = row.get("investment_type") or InvestmentType.PRIVATE
    if investment not in InvestmentType.values:
        problems.append(_("未知的投资类型 %(c)s") % {"c": investment})
    status = row.get("status") or ProjectStatus.IN_CONSTRUCTION
    if status not in ProjectStatus.values:
        problems.append(_("未知的项目状态 %(c)s") % {"c": status})
    values, value_problems = _project_values(row)
    problems += value_problems
    if problems:
        return problems, None
    project = Project(
        code=code,
        name=row["name"],
        county=county,
        industry=industry,
        address=row.get("address", ""),
        investment_type=investment,
        status=status,
        **values,
    )
    return problems, project


def _project_values(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The row's amounts and dates, parsed, and what is wrong with them."""
    problems = []
    values: dict[str, Any] = {}
    try:
        values["contract_value"] = _decimal(row.get("contract_value", ""))
        values["labour_cost_share"] = _decimal(row.get("labour_cost_share", ""))
    except InvalidOperation:
        problems.append(_("金额或比例不是数字"))
    try:
        values["start_date"] = _date(row.get("start_date", ""))
        values["planned_completion"] = _date(row.get("planned_completion", ""))
    except ValueError:
        problems.append(_("日期格式应为 YYYY-MM-DD"))
    share = values.get("labour_cost_share")
    if share is not None and not 0 <= share <= 100:
        problems.append(_("人工费用占比应在0到100之间"))
    value = values.get("contract_value")
    if value is not None and value < 0:
        problems.append(_("合同价款不能为负数"))
    return values, problems


def template_header(columns: list[str]) -> list[str]:
    """The header row of an empty file to fill in: the Chinese names. It is downloaded through
    arrears.spreadsheets.csv_response, i.e. UTF-8 with a BOM: the BOM is what makes Excel
    (Chinese Windows included) open UTF-8 as UTF-8 rather than as GBK, UTF-8 keeps every
    character (GBK lacks some rare ones in names), and the import reads the file back whether
    Excel re-saves it as "CSV UTF-8" or as plain (GB18030) "CSV"."""
    return [HEADER_NAMES[c] for c in columns]


def export_rows(projects: Any) -> Iterator[list[str]]:
    yield COLUMNS
    for p in stream(projects.select_related("county", "industry"), chunk_size=2000):
        yield [
            neutralise(p.code),
            neutralise(p.name),
            p.county.code,
            p.industry.code,
            neutralise(p.address),
            p.investment_type,
            "" if p.contract_value is None else str(p.contract_value),
            "" if p.labour_cost_share is None else str(p.labour_cost_share),
            p.start_date.isoformat() if p.start_date else "",
            p.planned_completion.isoformat() if p.planned_completion else "",
            p.status,
        ]


def wage_records_import(
    *, name: str, content: bytes, source: str = "bank", progress: Any = None
) -> ImportReport:
    """A bank's monthly file of wage payments per project (CSV or Excel, columns
    WAGE_COLUMNS; month as YYYY-MM). All or nothing, like the project import; a row for a
    month already recorded corrects it."""
    report = ImportReport()
    rows = _read(report, name, content, WAGE_COLUMNS)
    if rows is None:
        return report
    projects = {
        p.code: p
        for p in Project.objects.filter(code__in={r.get("project_code", "") for r in rows})
    }
    parsed = []
    if progress is not None:
        progress.expect(len(rows))
    for number, row in enumerate(rows, start=2):
        problem, record = _wage_row(row, projects)
        if record is None:
            report.errors.append((number, problem))
            continue
        parsed.append((number, *record))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for number, project, month, values in parsed:
                if progress is not None:
                    progress.advance()
                try:
                    wage_record_save(project=project, month=month, source=source, **values)
                except ValidationError as exc:
                    report.errors += [(number, m) for m in exc.messages]
            if report.errors:
                # Any row refused by the service undoes the rows saved before it.
                raise ValidationError("rollback")
    except ValidationError:
        return report
    report.created = len(parsed)
    return report


def _wage_row(
    row: dict[str, str], projects: dict[str, Project]
) -> tuple[str, tuple[Project, datetime.date, dict[str, Any]] | None]:
    """One row's problem, or ("", (project, month, the figures wage_record_save takes))."""
    project = projects.get(row.get("project_code", ""))
    if project is None:
        return _("未知的项目编号 %(c)s") % {"c": row.get("project_code", "")}, None
    try:
        month = datetime.date.fromisoformat(row.get("month", "")[:7] + "-01")
        on_roll = int(row.get("workers_on_roll") or 0)
        paid = int(row.get("workers_paid") or 0)
        values: dict[str, Any] = {
            "labour_cost_paid_in": Decimal(row.get("labour_cost_paid_in") or "0"),
            "workers_on_roll": on_roll,
            "workers_paid": paid,
            "amount_paid": Decimal(row.get("amount_paid") or "0"),
        }
    except (ValueError, InvalidOperation):
        return _("月份应为 YYYY-MM，金额和人数应为数字"), None
    if min(on_roll, paid) < 0:
        return _("人数不能为负数"), None
    return "", (project, month, values)
