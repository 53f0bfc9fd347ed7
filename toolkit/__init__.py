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

The names are bound lazily (PEP 562): ``import toolkit`` (and so every ``xxgk`` command) imports
nothing heavy; each name imports its submodule on first use, and so does ``toolkit.<submodule>``.
``validate``, ``merge`` and ``trend`` are functions over submodules of the same name: importing
the submodule never rebinds them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # first: the submodules read it

# public name -> submodule that defines it
_LAZY = {
    "FileReport": "toolkit.findings",
    "Finding": "toolkit.findings",
    "FormSpec": "toolkit.spec",
    "SpecError": "toolkit.spec",
    "load_spec": "toolkit.spec",
    "Store": "toolkit.store",
    "Submission": "toolkit.model",
    "make_template": "toolkit.template",
    "merge": "toolkit.merge",
    "read_file": "toolkit.reader",
    "read_workbook": "toolkit.reader",
    "trend": "toolkit.trend",
    "validate": "toolkit.validate",
    "write_summary": "toolkit.outputs.summary",
}
_SAME_NAME = ("merge", "trend", "validate")  # functions named like their submodule

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

if TYPE_CHECKING:
    from toolkit.findings import FileReport, Finding
    from toolkit.merge import merge
    from toolkit.model import Submission
    from toolkit.outputs.summary import write_summary
    from toolkit.reader import read_file, read_workbook
    from toolkit.spec import FormSpec, SpecError, load_spec
    from toolkit.store import Store
    from toolkit.template import make_template
    from toolkit.trend import trend
    from toolkit.validate import validate


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:  # a submodule (``toolkit.store``), as an eager package would have bound it
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'toolkit' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """The import system binds a loaded submodule as an attribute of its package
    (``toolkit.validate = <module>``); for the functions named like their submodule the function
    stays bound."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SAME_NAME and isinstance(value, types.ModuleType):
            return  # the function is bound on first use by __getattr__
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
