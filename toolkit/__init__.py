"""xxgk-toolkit: the 政府信息公开工作年度报告 (2021 national format) from template to district summary.

The Python API mirrors the ``xxgk`` command one to one::

    from toolkit import make_template, read_workbook, validate, merge, write_summary
    make_template("区财政局.xlsx", Submission(cover={"agency": "区财政局", "year": 2025}))
    sub = read_workbook("区财政局.xlsx")            # -> Submission (.findings: reading findings)
    reports = validate(["收到的文件/"], year=2025)   # -> [FileReport], never raises on bad files
    summary = merge(["收到的文件/"], roster="roster.csv", year=2025)
    write_summary(summary, "summary.xlsx"); summary.to_frame()
    with Store("xxgk.db") as db: toolkit.store.add_paths(db, ["2024/"])   # the archive
    df = trend("xxgk.db", agency="财政局")          # years, changes: a pandas DataFrame
"""

__version__ = "0.1.0"  # first: the submodules below read it

from toolkit.findings import FileReport, Finding

# the functions are bound over the submodules of the same name (toolkit.validate, toolkit.merge)
from toolkit.merge import merge
from toolkit.model import Submission
from toolkit.outputs.summary import write_summary
from toolkit.reader import read_file, read_workbook
from toolkit.spec import FormSpec, SpecError, load_spec
from toolkit.store import Store
from toolkit.template import make_template
from toolkit.trend import trend
from toolkit.validate import validate

__all__ = [
    "FileReport",
    "Finding",
    "FormSpec",
    "SpecError",
    "Store",
    "Submission",
    "__version__",
    "load_spec",
    "make_template",
    "merge",
    "read_file",
    "read_workbook",
    "trend",
    "validate",
    "write_summary",
]
