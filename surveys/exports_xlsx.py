"""The workbook export: what an analyst opens without fixing anything.

Times are real date-time cells in the site's time zone (Excel has no time zones, so the cell
holds the local wall-clock time), durations are numbers of hours, the header row is frozen
and filtered, and columns have widths. openpyxl's write-only mode keeps memory constant: rows
go to a temporary file as they are appended, so nothing here may look at the rows twice
(widths come from the header, the filter's range from the count at the end).
"""

import tempfile
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .export_columns import DURATION_COLUMNS, formula_safe

DATE_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.00"
WIDTHS = {"time": 17, "hours": 11, "url": 48, "long": 36}
LONG = {"ticket_subject", "subject", "customer_name", "customer_email", "campaign"}


def _width(name: str) -> int:
    if name.endswith("_at"):
        return WIDTHS["time"]
    if name in DURATION_COLUMNS:
        return WIDTHS["hours"]
    if name.endswith("_url"):
        return WIDTHS["url"]
    if name in LONG or name.startswith("q:"):
        return WIDTHS["long"]
    return max(10, len(name) + 2)


def _header_name(name: str) -> str:
    return name[:-2] + "_h" if name in DURATION_COLUMNS else name


def workbook_write(rows: Iterator[list], *, title: str):
    """Write the header and rows (typed values) to a workbook; returns (file, rows of data).

    The file is a spooled temporary file positioned at its start (FileResponse closes it).
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    header = next(rows)
    hours_at = {i for i, name in enumerate(header) if name in DURATION_COLUMNS}
    # Views and column widths are written before the first row, so they are set first.
    sheet.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = _width(name)
    bold = Font(bold=True)
    heads = []
    for name in header:
        head = WriteOnlyCell(sheet, _header_name(name))
        head.font = bold
        heads.append(head)
    sheet.append(heads)

    def date_cell(value: datetime) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value.astimezone(zone).replace(tzinfo=None))
        c.number_format = DATE_FORMAT
        return c

    def hours_cell(seconds: int) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, seconds / 3600)
        c.number_format = HOURS_FORMAT
        return c

    count = 0
    for row in rows:
        out = []
        for i, value in enumerate(row):
            if value is None:
                out.append(None)
            elif isinstance(value, datetime):
                out.append(date_cell(value))
            elif i in hours_at:
                out.append(hours_cell(value))
            elif isinstance(value, str):
                # openpyxl writes a string starting with "=" as a formula.
                out.append(formula_safe(value))
            else:
                out.append(value)
        sheet.append(out)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    # Spills to disk past 8 MB, so a large workbook does not sit in memory.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return spool, count
