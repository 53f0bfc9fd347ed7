"""The ``xxgk`` command: thin wrappers over the library, one command per job.

Exit codes: 0 all valid · 1 the tool ran and found errors · 2 usage error. Results go to stdout,
progress and logs to stderr.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sys
from pathlib import Path

import click

from toolkit import __version__
from toolkit.textsafe import csv_cell, json_text, term_lines, term_text

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _die(msg: str, code: int = 2) -> None:
    click.echo(term_lines(f"错误：{msg}"), err=True)
    sys.exit(code)


_NO_ARGS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2

# -- click's frame in Chinese: usage line, section names, metavars, [default]/[required] ----------
_HELP_WORDS = [  # (click's English, the Chinese a person reads), longest first where they overlap
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("Show the version and exit.", "显示版本号并退出。"),
    ("INTEGER RANGE", "整数"),
    ("INTEGER", "整数"),
    ("DIRECTORY", "文件夹"),
    ("FILENAME", "文件"),
    ("FILE", "文件"),
    ("PATH", "路径"),
    ("TEXT", "文本"),
]
_USAGE_WORDS = {
    "[OPTIONS]": "[选项]",
    "COMMAND": "命令",
    "[ARGS]...": "[参数]...",
    "PATHS...": "文件或文件夹...",
    "WORKBOOK": "填报表",
    "REPORT": "报告",
    "VERSION": "版本编号",
    "SHA256": "哈希值",
}


class _ZhFormatter(click.HelpFormatter):
    """click's help, its frame said in Chinese (the words of the help themselves are ours)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = " ".join(_USAGE_WORDS.get(a, a) for a in args.split(" "))
        super().write_usage(prog, args, prefix="用法：")

    @contextlib.contextmanager
    def section(self, name: str):  # type: ignore[override]
        with super().section({"Options": "选项", "Commands": "命令"}.get(name, name)):
            yield

    def write_text(self, text: str) -> None:
        """Paragraphs rewrapped by display width; Chinese lines of the source joined without the
        space click would put between them; a ``\\b`` paragraph kept as written."""
        indent = " " * self.current_indent
        out = []
        for para in re.split(r"\n\s*\n", text):
            lines = para.splitlines()
            if lines and lines[0].strip() == "\b":
                out.append("\n".join(indent + line for line in lines[1:]))
                continue
            joined = ""
            for line in (ln.strip() for ln in lines):
                ascii_edge = joined and (joined[-1].isascii() or line[:1].isascii())
                joined += (" " if ascii_edge else "") + line
            room = max(self.width - self.current_indent, 20)
            out.append("\n".join(indent + line for line in _wrap(joined, room)))
        self.write("\n\n".join(out) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:  # type: ignore[override]
        """click's definition list, measured in display columns (a Chinese character takes two,
        so click's own alignment by characters leaves the help ragged)."""

        def zh(text: str) -> str:
            for en, cn in _HELP_WORDS:
                text = re.sub(rf"(?<![\w-]){re.escape(en)}(?![\w-])", cn, text)
            text = re.sub(r"\[default: ([^;\]]*)", r"[默认：\1", text)
            text = text.replace("; required]", "；必填]").replace("[required]", "[必填]")
            text = re.sub(r"(\d+)<=x<=(\d+)", r"\1至\2", text)
            text = re.sub(r"x>=(\d+)", r"不小于\1", text)
            return text.replace("; ", "；")

        rows = [(zh(a), zh(b)) for a, b in rows]
        first_col = min(max((_width(a) for a, _ in rows), default=0), col_max) + col_spacing
        room = max(self.width - first_col - self.current_indent, 20)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if _width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - _width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(second, room)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


def _width(text: str) -> int:
    """Display columns of ``text`` in a terminal (wide and full-width characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NO_LINE_START = set("，。、；：？！）》」』”’%")  # punctuation never starts a line (it stays behind)


def _wrap(text: str, room: int) -> list[str]:
    """``text`` cut into lines of at most ``room`` display columns, at a space, after Chinese
    punctuation, or between Chinese characters (never inside an English word or option name)."""
    tokens = re.findall(r"\[[^\]\n]{0,40}\]|[\x21-\x7e]+|\s+|.", text)  # [默认：1；1至64] is one
    lines, cur = [], ""
    for t in tokens:
        if _width(cur + t) > room and cur.strip() and t not in _NO_LINE_START:
            lines.append(cur.rstrip())
            cur = "" if t.isspace() else t
        else:
            cur += t
    lines.append(cur.rstrip())
    return lines or [""]


class _Ctx(click.Context):
    formatter_class = _ZhFormatter


class _Command(click.Command):
    context_class = _Ctx

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:  # click's parser leaves ctx out: the help named is this command's
            if exc.ctx is None:
                exc.ctx = ctx
            raise


class _SubGroup(click.Group):
    context_class = _Ctx
    command_class = _Command


class _Group(click.Group):
    """Problems of the file system (a folder that cannot be written, a full disk) are said in one
    line, never as a traceback; inputs are never touched and outputs are written atomically, so
    nothing is left half-written."""

    context_class = _Ctx
    command_class = _Command
    group_class = _SubGroup

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:  # xxgk's own options (a subcommand's are parsed in invoke, below)
            return super().parse_args(ctx, args)
        except _NO_ARGS_HELP:  # plain `xxgk`: click shows the help
            raise
        except click.UsageError as exc:
            _die(_usage_zh(exc))

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from toolkit import interrupts
        from toolkit.paths import WRITTEN, OutputConflict, OutputFolderError
        from toolkit.spool import SpoolError, spool_failure

        interrupts.install()  # Ctrl-C/SIGTERM: stop promptly, however many arrive
        WRITTEN.clear()
        sys.unraisablehook = _quiet_unraisable
        try:
            try:
                return super().invoke(ctx)
            except Exception as exc:
                inner = _wrapped_os_error(exc)  # a library's error around the system's (a full disk)
                if inner is None:
                    raise
                raise inner from None
        except _NO_ARGS_HELP:  # `xxgk archive` alone: click shows that group's help
            raise
        except click.UsageError as exc:  # click's own words are English: one Chinese line, exit 2
            _die(_usage_zh(exc))
        except KeyboardInterrupt:
            interrupts.cleaning()
            interrupts.ignore()
            # the interrupt came after an output was renamed into place (a writer's own stage
            # file, removed since, is none)
            if done := [str(w) for w in dict.fromkeys(WRITTEN) if w.exists()]:
                click.echo(f"\n已中断：{'、'.join(done)} 在中断前已完整写出；其余输出未写入", err=True)
            else:
                click.echo("\n已中断：未写入新的输出文件（原有文件保持不变）", err=True)
            sys.exit(130)
        except (OutputConflict, OutputFolderError) as exc:
            _die(str(exc))
        except SpoolError as exc:  # the temporary folder: none usable, or full
            _die(str(exc))
        except OSError as exc:
            from toolkit.oswords import os_reason

            where = f"：{exc.filename}" if getattr(exc, "filename", None) else ""
            busy = "没有权限；文件可能正在 Excel/WPS 中打开，请关闭后重试"
            why = os_reason(
                exc, EACCES=busy, EPERM=busy, EEXIST="路径中有同名的文件，无法建立文件夹", ENOENT="找不到"
            )
            click.echo(term_text(f"错误：无法读写文件{where}（{why}）"), err=True)
            sys.exit(2)
        except Exception as exc:
            if _broken_bytecode(exc):  # click would say "Aborted!" of the EOFError
                _die(
                    "本工具的程序缓存文件已损坏（可能是磁盘写满或限制了文件大小时写入的），已清除；"
                    "请重新运行此命令"
                )
            failed = spool_failure(exc)  # SQLite of the temporary records failing mid-run
            if failed is not None:
                _die(str(failed))
            store = sys.modules.get("toolkit.store")  # only loaded by the archive's commands
            if store is None:
                raise
            if isinstance(exc, store.StoreError):
                _die(str(exc))
            import sqlite3

            if isinstance(exc, sqlite3.DatabaseError):  # the archive failing mid-read: damaged
                _die(store._db_problem(Path(_opened[-1] if _opened else "xxgk.db"), exc))
            raise


def _broken_bytecode(exc: BaseException) -> bool:
    """A module's cached bytecode cut short (CPython writes it with one unchecked write: under a
    file-size limit or on a full disk a truncated .pyc is kept, and every later import of that
    module fails): removed, so that the next run compiles it again. True when that was it."""
    if not isinstance(exc, EOFError | ValueError | TypeError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_name != "_compile_bytecode":
        tb = tb.tb_next
    if tb is None:
        return False
    import importlib.util

    here = str(Path(__file__).resolve().parent)
    for mod in list(sys.modules.values()):  # the toolkit's others too: cut by the same limit
        spec = getattr(mod, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        if origin.endswith(".py") and str(Path(origin).resolve()).startswith(here):
            with contextlib.suppress(Exception):
                Path(importlib.util.cache_from_source(origin)).unlink(missing_ok=True)
    pyc = tb.tb_frame.f_locals.get("bytecode_path")
    with contextlib.suppress(Exception):  # the one that failed (not in sys.modules: its import failed)
        Path(pyc).unlink(missing_ok=True)
    return True


def _wrapped_os_error(exc: BaseException) -> OSError | None:
    """The system's error inside a library's own (xlsxwriter's FileCreateError carries the
    OSError of a full disk), so that it is said as any OSError is: one Chinese line."""
    if isinstance(exc, OSError):
        return None
    for inner in (*(a for a in exc.args if isinstance(a, BaseException)), exc.__cause__):
        if isinstance(inner, OSError):
            return inner
    return None


def _quiet_unraisable(u) -> None:
    """An OSError Python can only report as "Exception ignored" (a library's zip file closed by
    the garbage collector on a full disk, after the command has said so): not printed; nor a zip
    file's own complaint that its file was closed under it (the same full disk: whether the
    collector reaches the zip before or after its file depends on what else the process made);
    anything else as Python prints it."""
    import zipfile

    exc = getattr(u, "exc_value", None)
    if isinstance(exc, OSError):
        return
    if isinstance(exc, ValueError) and getattr(u, "object", None) is zipfile.ZipFile.__del__:
        return
    sys.__unraisablehook__(u)


def _usage_zh(exc: click.UsageError) -> str:
    """click's usage errors (English, three lines) as one Chinese line naming the option and
    where the help is."""
    import re

    ctx = exc.ctx
    names, c = [], ctx
    while c is not None and c.parent is not None:  # the subcommands, without how xxgk was started
        names.append(c.info_name or "")
        c = c.parent
    see = f"（用法见 {' '.join(['xxgk', *reversed(names)])} --help）"
    param = getattr(exc, "param", None)
    hint = ""
    if param is not None and param.param_type_name == "option":
        hint = " / ".join(param.opts)
    elif param is not None:  # an argument: named as the usage line names it (PATHS is 文件或文件夹)
        up = (param.name or "").upper()
        hint = "“" + (_USAGE_WORDS.get(up) or _USAGE_WORDS.get(f"{up}...", up).removesuffix("...")) + "”"
    msg = exc.format_message()
    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (param.param_type_name if param is not None else "")
        return f"缺少参数{hint}{see}" if kind == "argument" else f"缺少选项 {hint}{see}"
    if isinstance(exc, click.NoSuchOption):
        maybe = f"，是否为 {'、'.join(sorted(exc.possibilities))}？" if exc.possibilities else ""
        return f"没有 {exc.option_name} 这个选项{maybe}{see}"
    if isinstance(exc, click.BadOptionUsage) and (m := re.search(r"Option '([^']+)' requires", msg)):
        return f"选项 {m.group(1)} 后面要给出一个值{see}"
    if isinstance(exc, click.BadOptionUsage) and (m := re.search(r"Option '([^']+)' does not take", msg)):
        return f"选项 {m.group(1)} 不带值，只写 {m.group(1)} 即可{see}"
    if isinstance(exc, click.BadParameter):
        t = param.type if param is not None else None
        if isinstance(t, click.IntRange) and t.min is not None and t.max is not None and t.max < 2**31:
            why = f"应为 {t.min} 至 {t.max} 之间的整数"
        elif (
            isinstance(t, click.IntRange)
            and t.max is not None
            and (m := re.search(r": (\d+) is not in the range", msg))
            and int(m.group(1)) > t.max
        ):
            why = "过大，没有这样的编号"
        elif isinstance(t, click.IntRange | click.types.IntParamType):
            why = "应为整数" + (
                f"（不小于 {t.min}）" if isinstance(t, click.IntRange) and t.min is not None else ""
            )
        elif isinstance(t, click.Choice):
            why = "可选：" + "、".join(map(str, t.choices))
        elif isinstance(t, click.Path) and (m := re.search(r"File '(.*)' is a directory", msg)):
            why = f" {m.group(1)} 是一个文件夹，应为文件名"
        else:
            why = "无效"
        if hint.startswith("“"):  # an argument: 版本编号应为整数（不小于 1）
            return f"{hint.strip('“”')}{why.strip()}{see}"
        return f"{hint} 的值{why}{see}" if why != "无效" else f"{hint} 的值无效{see}"
    if m := re.match(r"No such command '([^']+)'", msg):
        names = (
            "、".join(ctx.command.list_commands(ctx))
            if ctx is not None and hasattr(ctx.command, "list_commands")
            else ""
        )
        return f"没有 {m.group(1)} 这个命令" + (f"；可用的命令：{names}" if names else "") + see
    if m := re.match(r"Got unexpected extra arguments? \((.*)\)", msg):
        return f"多余的参数：{m.group(1)}{see}"
    return f"用法有误：{msg}{see}"


class _InFile(click.Path):
    """An input file that must exist: said in one Chinese line with exit 2 (click's own message
    is English, three lines)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, readable=False)  # readable: said below, in Chinese

    def convert(self, value, param, ctx):  # type: ignore[override]
        import os

        what = f"{param.opts[0]} " if param is not None and param.opts[0].startswith("-") else ""
        if not os.path.exists(value):  # a dangling link too
            _die(f"{what}找不到文件：{value}")
        if os.path.isdir(value):
            _die(f"{what}{value} 是文件夹，应为文件")
        if not os.access(value, os.R_OK):
            _die(f"{what}没有权限读取 {value}；文件可能正在 Excel/WPS 中打开，请关闭后重试（或检查文件权限）")
        return super().convert(value, param, ctx)


_FORCE = click.option(
    "--force", is_flag=True, help="允许覆盖已有的文件、输入文件，或写入要读取的文件夹（慎用）"
)
_TEXT_OR_JSON = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="屏幕输出格式：文字或 JSON",
)


def _guard(
    outputs: list, inputs: list, force: bool, replace: bool | None = None, *, never: bool = False
) -> None:
    """Outputs never replace inputs, nor go into a folder that is read, nor replace an existing
    file (unless --force; ``replace`` allows only the last, where the first two are never allowed;
    ``never``: the inputs are never replaced, whatever is given, and the message says so)."""
    from toolkit.paths import OutputConflict, check_outputs

    try:
        check_outputs(outputs, inputs, force=force, overridable=not never)
    except OutputConflict as exc:
        _die(str(exc))
    for o in outputs:  # an existing file is never replaced unasked (a folder of outputs may exist)
        if o is not None and not (force if replace is None else replace) and Path(o).is_file():
            _die(f"{o} 已存在，未覆盖（原文件保持不变）；确需覆盖请加 --force，或换一个文件名")


def _want_suffix(path: str | None, suffixes: tuple[str, ...], option: str = "-o") -> None:
    """An output whose name says another kind of file than the one written (a workbook named
    .json, a CSV named .xlsx) is refused: Excel and others go by the name."""
    if path and Path(path).suffix.lower() not in suffixes:
        _die(f"{option} {path}：输出文件应以 {_either(suffixes)} 结尾")


def _either(items: list[str] | tuple[str, ...] | dict[str, str]) -> str:
    """``.json 或 .csv``; ``.xlsx、.csv 或 .json``."""
    xs = list(items)
    return xs[0] if len(xs) == 1 else "、".join(xs[:-1]) + " 或 " + xs[-1]


def _format_by_suffix(output: str | None, by_suffix: dict[str, str], fmt: str) -> str:
    """The format written to ``-o``: by its suffix when --format is not given; refused when the
    suffix is none of ``by_suffix`` or says another format than --format."""
    if not output:
        return fmt
    suffix = Path(output).suffix.lower()
    want = by_suffix.get(suffix)
    if want is None:
        _die(f"-o {output}：输出文件应以 {_either(by_suffix)} 结尾")
    given = click.get_current_context().get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE
    if given and want != fmt:
        _die(f"--format {fmt} 与输出文件 {output} 的扩展名 {suffix} 不一致；请改用 .{fmt} 结尾的文件名")
    return want


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="xxgk", message="%(prog)s 版本 %(version)s")
def main() -> None:
    """政府信息公开工作年度报告工具：模板、校验、汇总（国办公开办函〔2021〕30号格式）。

    \b
    xxgk template -o 模板.xlsx --year 2025                           # 生成空白填报模板
    xxgk template --roster samples/roster.csv -o out/                # 按名单为每个单位生成模板
    xxgk validate 收到的文件/ --year 2025                            # 校验（退出码 0 通过，1 有错误）
    xxgk merge samples/ --roster samples/roster.csv -o summary.xlsx  # 汇总
    xxgk render 区财政局.xlsx -o 报告.docx                           # 生成公开发布的报告
    xxgk import 已公开的报告.txt -o 报告.xlsx                        # 读取已公开的报告
    xxgk inspect 各单位报告/ -o 年度检查.xlsx                        # 年度报告检查：逐份给出结论
    xxgk archive add 2019/ 2020/ 报告.html                           # 存入历年档案库（xxgk.db）
    xxgk trend --agency 财政局 -o 历年.xlsx                          # 历年趋势与折线图
    xxgk serve --roster samples/roster.csv --year 2025               # 网页报送：各单位上传即校验
    """


@main.command(context_settings=CONTEXT)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=True),
    help="输出文件（或 --roster 时的输出目录）",
)
@click.option("--year", type=click.IntRange(2000, 2100), help="报告年度，如 2025")
@click.option("--agency", help="机关名称")
@click.option("--code", help="统一社会信用代码（18位）")
@click.option("--parent", help="上级/所属地区")
@click.option("--values", "values_path", type=_InFile(), help="预填数值的 JSON 文件")
@click.option("--roster", type=_InFile(), help="名单（CSV 或 xlsx），每个单位生成一个模板")
@click.option("--contact", help="填报说明中的联系方式，如“区政务公开办 张三 010-00000000”")
@_FORCE
@click.option(
    "--format",
    "form",
    help="报告格式：gov-2021（2021年起）或 gov-2019（2019、2020年度）；默认按 --year 选择",
)
def template(output, year, agency, code, parent, values_path, roster, contact, force, form) -> None:
    """生成填报模板（xlsx）。

    退出码：0 已生成，1 已生成但名单或预填数值有错误（见屏幕提示），2 用法错误或无法写出。

    \b
    例：xxgk template -o 区财政局.xlsx --year 2025 --agency 区财政局 --code 11110228MB0000001U
        xxgk template --roster samples/roster.csv --year 2025 -o 模板/
        xxgk template --values export.json -o 预填.xlsx
        xxgk template --format gov-2019 --year 2020 -o 2020年度.xlsx
    """
    from toolkit.model import Submission
    from toolkit.roster import RosterError
    from toolkit.template import make_roster_templates, make_template
    from toolkit.uscc import uscc_problem
    from toolkit.values import ValuesError, load_values

    spec = _form_spec(form, year)
    if roster:
        if values_path or agency or code:
            _die("--roster 不能与 --values/--agency/--code 同时使用")
        there = Path(output).exists() and not Path(output).is_dir()  # a file, /dev/null, a device
        if there or Path(output).suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods", ".et"):
            _die(f"--roster 为每个单位生成一个模板，-o 应为文件夹，如 -o 模板/（而不是 {output}）")
        _guard([output], [roster], force)
        try:
            files, findings = make_roster_templates(
                roster, output, year=year, parent=parent, contact=contact, spec=spec, replace=force
            )
        except RosterError as exc:
            _die(str(exc))
        except FileExistsError as exc:  # templates already there (perhaps filled in): none written
            if exc.errno is not None:  # the system's own (English) words: said in Chinese
                _die(f"无法建立文件夹 {exc.filename or output}：路径中有同名的文件，-o 应为文件夹")
            _die(str(exc))
        for f in findings:
            click.echo(
                term_text(f"{'错误' if f.severity == 'error' else '提示'} [{f.code}] {f.message}"), err=True
            )
        click.echo(term_text(f"已生成 {len(files)} 个模板，保存在 {output}"))
        sys.exit(1 if any(f.severity == "error" for f in findings) else 0)
    if code and (problem := uscc_problem(code)):
        _die(f"统一社会信用代码 {code} 不正确：{problem}")
    if Path(output).is_file() and not force:  # said before the general rule: what it may be
        _die(f"{output} 已存在（可能是已经填好的报表），未覆盖；确需覆盖请加 --force，或换一个文件名")
    _guard([output], [values_path], force)
    _want_suffix(output, (".xlsx",))
    try:
        # the values file names its format and year: followed unless --format/--year says otherwise
        follow = form is None and year is None
        sub = (
            load_values(values_path, None if follow else spec, follow_file=follow)
            if values_path
            else Submission(spec=spec)
        )
        spec = sub.spec
    except ValuesError as exc:
        _die("数值文件有误：\n  " + "\n  ".join(exc.problems))
    for k, v in (("year", year), ("agency", agency), ("code", code), ("parent", parent)):
        if v is not None:
            sub.cover[k] = v.upper() if k == "code" else v
    if Path(output).is_dir():
        _die(f"{output} 是目录；请给出文件名，如 {Path(output) / '模板.xlsx'}")
    if Path(output).exists() and not force:
        _die(f"{output} 已存在（可能是已经填好的报表），未覆盖；确需覆盖请加 --force，或换一个文件名")
    path = make_template(output, sub, contact=contact, spec=spec)
    click.echo(term_text(f"已生成模板：{path}"))


def _form_spec(form: str | None, year: int | None):
    """--format gov-2019/gov-2021, else the format of the report year (gov-2021 by default)."""
    from toolkit.spec import SpecError, load_spec, spec_for_year

    if form is None:
        return spec_for_year(year)
    try:
        return load_spec(form)
    except SpecError as exc:
        _die(str(exc))


def _progress(label: str, enabled: bool):
    """A progress callback writing to stderr (only for long runs, only on a terminal)."""
    if not enabled:
        return None
    state = {"last": -1}

    def cb(i: int, total: int) -> None:
        pct = i * 100 // total
        if pct != state["last"] and (pct % 5 == 0 or i == total):
            state["last"] = pct
            click.echo(f"\r{label} {i}/{total} ({pct}%)", err=True, nl=(i == total))

    return cb


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@click.option("--year", type=click.IntRange(2000, 2100), help="要求的报告年度；其他年度报 YEAR-MISMATCH")
@click.option(
    "--previous",
    multiple=True,
    metavar="路径",
    help="上年的填报表或上年汇总表（文件、目录或通配符，可多次给出）",
)
@click.option(
    "--archive",
    "archive_db",
    type=click.Path(dir_okay=False),
    help="从档案库取上一年度的数据（代替 --previous）",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式"
)
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="把全部问题写入一个 xlsx 清单")
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False),
    help="为有问题的文件生成带批注的副本（退回给填报单位）",
)
@click.option("--annotate-all", is_flag=True, help="与 --annotate 同用：没有问题的文件也生成副本")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="并行进程数")
@click.option("--quiet", "-q", is_flag=True, help="文本输出只列错误，不列提示")
@_FORCE
def validate(
    paths, year, previous, archive_db, fmt, report_path, annotate_dir, annotate_all, jobs, quiet, force
) -> None:
    """校验收到的填报表（文件、目录或通配符）。

    多个文件只按一个报告年度校验：--year，未指定时按多数文件的年度（会说明），其他年度的文件报
    YEAR-MISMATCH。文件夹中不是填报表的文件逐个列出跳过的原因；本工具生成的批注副本和问题清单不校验。

    退出码：0 没有错误（可有提示），1 有错误，2 用法错误。

    \b
    例：xxgk validate 收到的文件/ --year 2025
        xxgk validate 收到的文件/*.xlsx --previous 去年/ --format json | jq .summary
        xxgk validate 收到的文件/ --report 问题清单.xlsx --annotate 退回/
    """

    from toolkit.findings import report_from_tuple, report_tuple
    from toolkit.outputs.console import json_doc_chunks, render_lines
    from toolkit.spool import ItemSpool
    from toolkit.validate import (
        OUTPUT_KINDS,
        InputError,
        iter_checked,
        majority_year,
        scan_paths,
        year_mismatch,
    )

    _guard([report_path, annotate_dir], [*paths, *previous], force)
    _want_suffix(report_path, (".xlsx",), "--report")
    got = scan_paths(paths)
    if got.missing:
        _die("；".join(got.missing))
    files, skipped = got.files, list(got.skipped)
    if not files:  # each skipped file said with its reason (a pipe named is not 不是填报表 only)
        for f, why in skipped:
            click.echo(term_text(f"  跳过：{f}（{why}）"), err=True)
        _die("没有找到要校验的文件" + (f"（跳过 {len(skipped)} 个文件）" if skipped else ""))
    if annotate_all and not annotate_dir:
        _die("--annotate-all 须与 --annotate 目录 同用")
    prev = _previous_index(previous, year)
    if report_path:  # (without one there is nothing to guard: the files are not listed again)
        _guard([report_path], files, force)
    if archive_db:
        if previous:
            _die("--archive 与 --previous 只能给出一个")
        prev = _archive_previous(archive_db, year)
    show = _progress("校验", len(files) >= 20 and sys.stderr.isatty())

    # (file, report) of each file read: past SPOOL_AFTER (or SPOOL_BYTES) in a temporary database, so that a
    # folder of any size takes the same memory; the outputs stream them back
    def pack(item):  # (file, report) as plain tuples: pickled several times faster
        return item[0], report_tuple(item[1])

    def unpack(t):
        return t[0], report_from_tuple(t[1])

    def weigh(item):  # its bytes in memory, roughly: the path and each finding with its message
        return 300 + 4 * len(item[0]) + 600 * len(item[1].findings)

    with ItemSpool(pack=pack, unpack=unpack, weigh=weigh) as kept:
        by_year: dict[int, int] = {}  # files per report year
        for f, c in zip(
            files,
            iter_checked(files, year=year, previous=prev, jobs=jobs, progress=show, digest=False),
            strict=True,
        ):
            if c.is_our_output:
                skipped.append((c.report.file, OUTPUT_KINDS[c.kind]))
                continue
            kept.append((str(f), c.report))
            if c.report.year:
                by_year[c.report.year] = by_year.get(c.report.year, 0) + 1
        settled = None  # one report year: the one most files carry (each other one is YEAR-MISMATCH)
        if year is None and len(kept):
            # one file too: its own year is the run's year, and --previous must be the year before it
            year = settled = majority_year(y for y, n in by_year.items() for _ in range(n))
            if year is not None:
                if len(kept) > 1:
                    click.echo(f"未指定 --year，按多数文件的报告年度 {year} 校验", err=True)
                if prev is not None:
                    try:
                        prev.check_year(year)
                    except InputError as exc:
                        _die(str(exc))

        def read():  # (file, report), with the run's year settled
            for f, rep in kept:
                if settled is not None and (m := year_mismatch(rep, settled)) is not None:
                    rep.findings.append(m)
                yield Path(f), rep

        def reports():
            return (rep for _f, rep in read())

        if annotate_dir:
            from toolkit.outputs.annotate import annotate_copy
            from toolkit.paths import safe_filename

            # the copies' names never repeat, nor take the name of a file being read
            here = Path(annotate_dir).resolve()
            used = {f.name.casefold() for f in files if f.resolve().parent == here}
            earlier: set[str] = set()
            if not force and here.is_dir():  # copies of an earlier run stay: new ones take new names
                earlier = {e.name.casefold() for e in here.iterdir()}
                used |= earlier
            copies = written = clean = 0
            renamed: list[str] = []  # copies named otherwise because an earlier run's has the name
            for f, rep in read():
                if not (annotate_all or rep.findings):
                    clean += 1
                    continue
                w = annotate_copy(f, rep, annotate_dir, used=used)
                written += 1
                copies += w.name.endswith("_批注.xlsx")
                plain = safe_filename(f.stem) + w.name[w.name.rfind("_") :]
                if plain.casefold() in earlier and w.name != plain:
                    renamed.append(w.name)
            # said of the files, not of the lists: “问题清单 1 份（文件无法读取或过大…）” read as if
            # the list were what could not be read
            lists = (
                f"；另有 {written - copies} 个文件无法读取或过大，不能复制，"
                f"为其生成问题清单 {written - copies} 份"
                if copies < written
                else ""
            )
            click.echo(
                f"已生成批注副本 {copies} 份{lists}：{annotate_dir}"
                + (f"（另有 {clean} 个文件没有问题，未生成副本）" if clean else ""),
                err=True,
            )
            if renamed:
                click.echo(
                    term_text(
                        f"注意：{annotate_dir} 中已有上次生成的同名副本（保留未动），本次 {len(renamed)} 份"
                        f"另起文件名，如 {renamed[0]}；退回时请发送本次的副本（确需覆盖请加 --force）"
                    ),
                    err=True,
                )
        if report_path:
            from toolkit.outputs.findings_xlsx import write_findings_workbook

            write_findings_workbook(report_path, reports(), year=year)
            click.echo(term_text(f"问题清单已写入：{report_path}"), err=True)
        valid = True

        def checked():  # the reports, noting whether all are valid
            nonlocal valid
            for rep in reports():
                valid = valid and rep.valid
                yield rep

        if fmt == "json":
            for chunk in json_doc_chunks(checked(), skipped, year):
                click.echo(chunk, nl=False)
            click.echo("")
        else:
            # a few hundred lines a write: click.echo flushes each call (40,000 files: 40,000 flushes)
            lines = render_lines(checked(), verbose_warnings=not quiet, skipped=skipped)
            while chunk := list(itertools.islice(lines, 256)):
                click.echo("\n".join(chunk))
    sys.exit(0 if valid else 1)


def _previous_index(previous, year):
    """``--previous``: last year's files. A path that does not exist is a usage error (exit 2),
    and so is a folder of another year than year - 1."""
    if not previous:
        return None
    from toolkit.validate import InputError, PreviousIndex

    prev, problems = PreviousIndex.from_paths(previous)
    if missing := [p for p in problems if "找不到" in p or "没有与" in p]:
        _die("；".join(missing))
    for p in problems:
        click.echo(term_text(f"警告：{p}"), err=True)
    if not len(prev):
        _die("--previous 中没有可读取的上年填报表或汇总表")
    try:
        prev.check_year(year)
    except InputError as exc:
        _die(str(exc))
    click.echo(f"已读取上年数据 {len(prev)} 份" + (f"（{prev.year} 年度）" if prev.year else ""), err=True)
    return prev


@main.command(context_settings=CONTEXT)
@click.argument("workbook", type=_InFile())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="输出格式：数值 JSON 或 CSV 表（给出 -o 时按其扩展名 .json/.csv）",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写入文件（默认输出到屏幕）")
@_FORCE
def export(workbook, fmt, output, force) -> None:
    """把填报表导出为数值 JSON（可用于 xxgk template --values）或 CSV。

    退出码：0 已导出，1 填报表有错误或无法读取，2 用法错误或无法写出。

    \b
    例：xxgk export 区财政局.xlsx > 区财政局.json
        xxgk export 区财政局.xlsx --format csv -o 区财政局.csv
    """
    import csv
    import io

    from toolkit.model import number_json, unknown_keys, with_dependent_totals
    from toolkit.reader import read_file
    from toolkit.rules import value_findings

    _guard([output], [workbook], force)
    fmt = _format_by_suffix(output, {".json": "json", ".csv": "csv"}, fmt)
    r = read_file(workbook)
    # what reading found, and numbers out of range: the values written may not be what was meant
    found = [*r.findings, *(value_findings(r.submission) if r.submission is not None else ())]
    for f in found:
        ref = f" {f.ref}" if f.ref else ""
        click.echo(
            term_text(f"{'错误' if f.severity == 'error' else '提示'} [{f.code}]{ref} {f.told}"), err=True
        )
    if r.submission is None:
        sys.exit(1)
    sub = r.submission
    # a number refused as implausible (1E+300, 30 digits) is not written: a float round trip would
    # lose its digits, and a value written is a value taken (null: unknown, as import leaves it)
    refused = with_dependent_totals(
        sub.spec, (f.key for f in found if f.code == "VALUE-IMPLAUSIBLE" and f.severity == "error" and f.key)
    )
    if fmt == "json":
        doc = sub.to_values_json()
        for k in refused & doc["values"].keys():
            doc["values"][k] = None
        doc["where"] = dict(sub.where)
        text = json_text(doc, indent=2) + "\n"
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["key", "label", "value", "kind", "reported", "cell"])
        computed = sub.all_values()
        unknown = unknown_keys(sub)
        for k in sub.spec.numeric_keys:
            c = sub.spec.cells[k]
            w.writerow(
                [
                    csv_cell(k),
                    csv_cell(c.label),
                    "" if k in refused or k in unknown else number_json(computed[k]),
                    csv_cell(c.kind),
                    "" if k in refused or sub.reported.get(k) is None else number_json(sub.reported[k]),
                    csv_cell(c.ref),
                ]
            )
        text = buf.getvalue()
    if output:
        from toolkit.template import atomic_output

        with atomic_output(output) as tmp:
            tmp.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(term_text(f"已导出：{output}"), err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(1 if any(f.severity == "error" for f in found) else 0)


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="汇总表 .xlsx（或 .json / .csv：只输出明细）",
)
@click.option("--roster", type=_InFile(), help="名单（CSV 或 xlsx），用于核对报送情况")
@click.option("--year", type=click.IntRange(2000, 2100), help="报告年度；其他年度的文件报 YEAR-MISMATCH")
@click.option("--agency", help="汇总表封面的机关名称（默认取名单中的上级）")
@click.option("--code", help="汇总机关的统一社会信用代码")
@click.option("--include-invalid", is_flag=True, help="有错误的文件也计入汇总（会给出提示）")
@click.option(
    "--previous", multiple=True, metavar="路径", help="上年的填报表或上年汇总表（用于上年衔接校验和同比图表）"
)
@click.option(
    "--prefer",
    multiple=True,
    metavar="FILE",
    help="同一单位报送了内容不同的多个文件时，以此文件为准（可多次给出）",
)
@click.option(
    "--archive",
    "archive_db",
    type=click.Path(dir_okay=False),
    help="从档案库取上一年度的数据（代替 --previous）",
)
@click.option(
    "--texts",
    "texts_path",
    type=_InFile(),
    help="从此汇总表（或填报表）的“文字”表取报告文字；默认取将被覆盖的原汇总表中的文字",
)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True, help="并行进程数")
@_TEXT_OR_JSON
@_FORCE
def merge(
    paths,
    output,
    roster,
    year,
    agency,
    code,
    include_invalid,
    previous,
    prefer,
    texts_path,
    archive_db,
    jobs,
    fmt,
    force,
) -> None:
    """把各单位的填报表汇总为本级汇总表（同一全国格式，可再向上级汇总）。

    一次汇总只有一个报告年度：--year，未指定时按多数文件的年度（会说明）；其他年度的文件报
    YEAR-MISMATCH，不计入。同一单位内容相同的多份文件只计一次；内容不同时用 --prefer 指定以哪个为准。

    重新汇总（如收到迟报的文件，加 --force 覆盖原汇总表）时，原汇总表“文字”表中已填写的文字
    带入新的汇总表，不会丢失；也可用 --texts 指定从哪个文件取文字。

    退出码：0 汇总完整且无错误，1 有未报送、有错误或未计入的文件，2 用法错误。

    \b
    例：xxgk merge samples/ --roster samples/roster.csv --year 2025 -o summary.xlsx
        xxgk merge 各区汇总/ --agency 示例市 -o 全市汇总.xlsx
        xxgk merge 收到的文件/ -o 明细.csv --jobs 2
        xxgk merge samples/ --roster samples/roster.csv --prefer "samples/青川区财政局（修改版）.xlsx" -o s.xlsx
    """

    from toolkit.merge import merge as do_merge
    from toolkit.outputs.summary import long_csv_path, write_summary
    from toolkit.roster import RosterError
    from toolkit.uscc import uscc_problem
    from toolkit.validate import InputError

    if code and (problem := uscc_problem(code)):
        _die(f"统一社会信用代码 {code} 不正确：{problem}")
    if Path(output).suffix.lower() not in (".xlsx", ".json", ".csv"):
        _die("输出文件应以 .xlsx、.json 或 .csv 结尾")
    if archive_db and previous:
        _die("--archive 与 --previous 只能给出一个")
    # an existing output is refused only once the inbox is read: a typo in a path, or an inbox
    # with nothing to count, is said first (and the summary there is kept either way)
    _guard([output], [*paths, roster, *previous], force, replace=True)
    try:
        summary = do_merge(
            paths,
            roster=roster,
            year=year,
            agency=agency,
            code=code,
            include_invalid=include_invalid,
            previous=_archive_previous(archive_db, year) if archive_db else (previous or None),
            prefer=prefer,
            jobs=jobs,
            progress=_progress("读取", sys.stderr.isatty()),
            spec=_form_spec(None, year) if year is not None else None,  # else the roster's or files' year
        )
    except (RosterError, InputError) as exc:
        _die(str(exc))
    if not summary.reports:
        for f, why in summary.skipped:
            click.echo(term_text(f"  跳过：{f}（{why}）"), err=True)
        _die("没有找到要汇总的填报表" + ("，未写出汇总表" if summary.skipped else ""))
    if not any(r.values is not None for r in summary.records if r.file):
        from toolkit.outputs.console import render_text

        click.echo(render_text(summary.reports, skipped=summary.skipped), err=True)
        _die("没有一个可以读取的填报表，未写出汇总表（原有的汇总表保持不变）", 1)
    if summary.year_note:
        click.echo(summary.year_note, err=True)
    if summary.name_note:
        click.echo(term_text(summary.name_note), err=True)
    from toolkit.merge import comparison_note

    if note := comparison_note(summary.previous):
        click.echo(note, err=True)
    if not summary.included and Path(output).exists() and not force:  # all of another year, invalid or not in
        # the roster: an all-zero summary would replace a good one (and read as "0 applications"
        # upward); say why instead. A new output is written: its 报送情况 lists every file's status
        if fmt == "json":
            click.echo(json_text(summary.to_json(), indent=2))
        else:
            click.echo(term_lines(_merge_text(summary, "未写出")))
        _die("没有一个单位计入汇总，未写出汇总表（原有的汇总表保持不变；确需写出请加 --force）", 1)
    _guard([output], [], force)
    from toolkit.merge import texts_of

    source = texts_path or (
        output if Path(output).suffix.lower() == ".xlsx" and Path(output).is_file() else None
    )
    if source is not None:  # the coordinator's words outlive the numbers they describe
        words, why = texts_of(source, summary.submission.year)
        if why:
            click.echo(term_text(f"提示：{why}"), err=True)
        elif words:
            summary.submission.texts.update(words)
            heads = {f.key: f.label for f in summary.spec.texts}
            said = "、".join(heads.get(k, k) for k in words)
            click.echo(term_text(f"已带入 {source} “文字”表中的文字：{said}"), err=True)
    side = long_csv_path(output)
    before = side.stat().st_mtime_ns if side.exists() else None
    write_summary(summary, output)
    if side.exists() and side.stat().st_mtime_ns != before:
        click.echo(term_text(f"“明细（长表）”超过 Excel 的行数上限，已另存为：{side}"), err=True)
    if fmt == "json":
        for chunk in summary.json_chunks():  # streamed: a national merge's list is not held
            click.echo(chunk, nl=False)
        click.echo("")
    else:
        click.echo(term_lines(_merge_text(summary, output)))
    sys.exit(0 if summary.complete else 1)


@main.command(context_settings=CONTEXT)
@click.argument("workbook", type=_InFile())
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="报告文件：.docx、.html 或 .md"
)
@click.option("--draft", is_flag=True, help="生成草稿：未完成的报告也生成，标题和每页页眉标明“草稿”")
@click.option(
    "--previous",
    multiple=True,
    metavar="路径",
    help="上年的填报表或上年汇总表（文件、目录或通配符）：写出同比变化",
)
@click.option(
    "--archive",
    "archive_db",
    type=click.Path(dir_okay=False),
    help="从档案库取上一年度的数据（代替 --previous）",
)
@_FORCE
def render(workbook, output, draft, previous, archive_db, force) -> None:
    """生成可公开发布的年度报告（Word、网页或 Markdown）。

    按官方顺序排列一至六部分；表二、表三、表四为官方版式。有数字可说的段落自动写出：第一部分的
    主动公开、依申请公开（给出 --previous 或 --archive 时含同比变化）、行政复议和行政诉讼，第六部分的
    信息处理费；.json 输出列出每句话所依据的单元格。报告未完成（不完整的汇总表，或“总体情况”“存在的主要问题及改进情况”未填写）时不生成，
    退出码 1；加 --draft 生成草稿，标题和每页页眉标明“草稿”，待补充的部分标为【待补充】。

    退出码：0 已生成，1 报告未完成而未生成，或填报表有错误（仍生成，合计按各项重新计算），2 用法错误或无法写出。

    \b
    例：xxgk render 区财政局.xlsx -o 区财政局2025年报告.docx
        xxgk render summary.xlsx -o 汇总报告.html
        xxgk render summary.xlsx -o 汇总报告（草稿）.docx --draft --previous 上年/
        xxgk render summary.xlsx -o 句子来源.json
    """
    from toolkit.outputs.render import publish_problems, text_sheet_missing, texts_sheet
    from toolkit.outputs.render import render as do_render
    from toolkit.reader import UnreadableWorkbook, read_workbook
    from toolkit.rules import check_submission

    if Path(output).suffix.lower() not in (".docx", ".html", ".htm", ".md", ".json"):
        _die("输出文件应以 .docx、.html、.md 或 .json 结尾")
    if archive_db and previous:
        _die("--archive 与 --previous 只能给出一个")
    _guard([output], [workbook, *previous], force)
    from toolkit.validate import output_kind

    try:
        # a summary's report is made of its form: its 明细 (hundreds of MB for a province) is not read
        sub = read_workbook(workbook, whole=output_kind(workbook) != "summary")
    except UnreadableWorkbook as exc:
        for f in exc.findings:
            click.echo(term_text(f"错误 [{f.code}] {f.message}"), err=True)
        sys.exit(1)
    found = [*sub.findings, *check_submission(sub)]
    # a workbook without its 文字 sheet (a summary whose sheet was deleted): its texts are unwritten,
    # which is what a draft is for — said once, not an error of the numbers
    no_texts = [f for f in found if text_sheet_missing(f, sub.spec)]
    problems = [f for f in found if f.severity == "error" and f not in no_texts]
    for f in problems:
        click.echo(term_text(f"错误 [{f.code}] {_at(f)}"), err=True)
    for f in found:  # the text would contradict the tables in the published report
        if f.code == "TEXT-TABLE-MISMATCH":
            click.echo(term_text(f"提示 [{f.code}] {_at(f)}"), err=True)
    if no_texts:
        click.echo(
            f"提示：工作簿中没有“{texts_sheet(sub.spec)}”表，文字部分按未填写处理"
            "（可从本年度模板复制“文字”表填写后重新生成）",
            err=True,
        )
    last = None
    if previous or archive_db:
        from toolkit.merge import previous_with_note

        index = _archive_previous(archive_db, sub.year) if archive_db else _previous_index(previous, sub.year)
        last, note = previous_with_note(sub, index)
        if note:
            click.echo(term_text(note if last is not None else f"提示：{note}"), err=True)
    unfinished = publish_problems(sub)
    for why in unfinished:
        click.echo(term_text(f"{'草稿' if draft else '未完成'}：{why}"), err=True)
    if unfinished and not draft:
        kept = "（原有文件保持不变）" if Path(output).exists() else ""  # said only when there is one
        _die(
            f"报告未完成，未生成{kept}；补齐后重新生成，"
            "或加 --draft 生成供内部审阅的草稿（标题和每页页眉标明“草稿”）",
            1,
        )
    if problems:
        click.echo("警告：填报表有错误；报告中的合计为按各项重新计算的数字，请先改正再发布。", err=True)
    do_render(sub, output, draft=draft, previous=last)
    click.echo(term_text(f"已生成{'草稿' if draft else '报告'}：{output}"))
    sys.exit(1 if problems else 0)


def _at(f) -> str:
    """A finding's place and message for a line of text (no stray space without a place)."""
    return f"{f.ref} {f.told}" if f.ref else f.message


@main.command("import", context_settings=CONTEXT)
@click.argument("report", type=_InFile())
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="写成填报表 .xlsx（合计按原报告数字保留）"
)
@click.option(
    "--year", type=click.IntRange(2000, 2100), default=None, help="文件中有几个年度的报告时，读取哪一年"
)
@_TEXT_OR_JSON
@_FORCE
def import_(report, output, year, fmt, force) -> None:
    """读取已公开发布的年度报告（.pdf / .html / .docx / .xlsx / .txt / .md），取出机关、年度和全部表格数字。

    每个数字都在其标签处读取；找不到的数字为“未知”（JSON 中为 null，填报表中为空白黄色单元格并附批注，
    validate 报 VALUE-MISSING），报告为 IMPORT-NOT-FOUND，不会用下一行顶替，也不按0计。
    扫描件 PDF（没有文字层）不做文字识别。

    退出码：0 全部数字已读出且没有错误，1 有数字未读出、报告有错误或文件无法读取，2 用法错误或无法写出。

    \b
    例：xxgk import 报告.pdf -o 报告.xlsx
        xxgk import 报告.html --format json | jq .confidence
        xxgk import 两年对比.pdf --year 2024
        xxgk validate 报告.pdf           # 查出公开文本中的计算错误
    """

    from toolkit.importers.report import import_report
    from toolkit.template import make_template

    _guard([output], [report], force)
    _want_suffix(output, (".xlsx",))
    res = import_report(report, year=year)
    sub = res.submission
    # a count the report prints as 1.5 or -3 is read as printed and said here, at its cell (validate
    # of the report or of the workbook says the same); implausible numbers were already refused
    from toolkit.rules import value_findings

    have = {(f.code, f.key) for f in res.findings}
    res.findings.extend(f for f in value_findings(sub) if (f.code, f.key) not in have)
    unreadable = any(f.code == "FILE-UNREADABLE" for f in res.findings)
    if year is not None and sub.year is not None and sub.year != year:  # asked for a year it lacks
        from toolkit.findings import ERROR, Finding

        res.findings.append(
            Finding(
                "YEAR-MISMATCH",
                ERROR,
                f"文件中是 {sub.year} 年度的报告，没有 --year 指定的 {year} 年度"
                + ("，未写出填报表" if output else ""),
                str(report),
            )
        )
        unreadable = True  # nothing of the year asked: no workbook
    if output and not unreadable:  # nothing read: no workbook (it would only hold empty cells)
        make_template(output, sub)
    if fmt == "json":
        doc = res.values_json()
        doc.update(
            confidence=res.confidence,
            identities={"held": res.identities[0], "checked": res.identities[1]},
            sections=res.sections,
            published=res.published,
            unknown=res.unknown,
            derived=res.derived,
            notes=res.notes,
            where=sub.where,
            findings=[f.to_dict() for f in res.findings],
        )
        click.echo(json_text(doc, indent=2))
    else:
        click.echo(
            term_text(
                f"{sub.agency or Path(report).name + '（未识别机关）'}{f' {sub.year}' if sub.year else ''}"
                f"：读出 {res.found}/{res.expected} 个数字"
                f"（把握 {res.confidence:.0%}）" + (f" → {output}" if output and not unreadable else "")
            )
        )
        for note in _grouped_notes(res.notes):
            click.echo(term_text(f"  说明：{note}"))
        for f in res.findings:
            click.echo(term_text(f"  {'错误' if f.severity == 'error' else '提示'} [{f.code}] {f.message}"))
    sys.exit(1 if any(f.severity == "error" for f in res.findings) else 0)


@main.command("inspect", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="写成检查结果工作簿 .xlsx")
@_TEXT_OR_JSON
@click.option(
    "--archive",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="同一文件夹中没有某机关上一年度报告时，从档案库（SQLite）取上年数据",
)
@_FORCE
def inspect_(paths, output, fmt, db_path, force) -> None:
    """年度报告检查：读取一批已公开的年度报告（PDF、网页、Word、Excel、文本；多个机关、多个年度），逐份给出结论。

    每份报告：读出了什么、把握多大；表内勾稽关系和合计；正文与表格是否一致；与同一机关上一年度报告的
    结转、现行有效件数是否衔接，是否与上年完全相同或全部为0；是否缺少部分；是否晚于次年1月31日发布
    （报告标明日期时）。未能可靠读取的报告不作核对，也不计入任何合计。

    退出码：0 没有“未能可靠读取”或“有错误”的报告，1 有，2 用法错误或无法写出。

    
    例：xxgk inspect 各单位报告/ -o 年度检查.xlsx
        xxgk inspect 2023/ 2024/ 2025/ --format json
        xxgk inspect 2025/ --archive xxgk.db -o 检查.xlsx    # 上年数据取自档案库
    """
    from toolkit.inspection import (
        KINDS_READ,
        inspect_reports,
        inspected_root,
        report_files,
        summary_counts,
        write_workbook,
    )

    files, skipped = report_files(list(paths))
    if not files:
        _die("\n".join([f"没有找到公开报告文件（可检查 {KINDS_READ}）", *(f"  跳过：{s}" for s in skipped)]))
    _guard([output], list(paths), force)
    _want_suffix(output, (".xlsx",))
    store = _open_store(db_path) if db_path else None
    try:
        results = inspect_reports(
            files,
            root=inspected_root(list(paths)),
            archive=store,
            progress=_progress("检查", sys.stderr.isatty()),
        )
    finally:
        if store is not None:
            store.close()
    if output:
        write_workbook(results, output, skipped)
    counts = summary_counts(results)
    if fmt == "json":
        click.echo(
            json_text(
                {"reports": [r.to_dict() for r in results], "counts": counts, "skipped": skipped}, indent=2
            )
        )
    else:
        for r in results:
            n = len(r.findings)
            click.echo(
                term_text(
                    f"{r.verdict}  {r.agency or '（未识别机关）'} {r.year or ''}  {r.file}"
                    f"（读出 {r.found}/{r.expected}{'，' + str(n) + ' 条问题' if n else ''}）"
                )
            )
        for s in skipped:
            click.echo(term_text(f"  跳过：{s}"), err=True)
        click.echo(
            f"共 {len(results)} 份："
            + "，".join(f"{v} {k} 份" for v, k in counts.items())
            + (f" → {output}" if output else "")
        )
    sys.exit(1 if counts["未能可靠读取"] or counts["有错误"] else 0)


BLANK_NOTE = "：空白单元格按0计"


def _grouped_notes(notes: list[str]) -> list[str]:
    """The import's notes for a person: blank cells (a published report often leaves its zeros
    blank: a hundred of them) as one line counted per table, in place of one line each."""
    from collections import Counter

    blank = Counter(n.split(" ", 1)[0] for n in notes if n.endswith(BLANK_NOTE))
    out = [n for n in notes if not n.endswith(BLANK_NOTE)]
    if blank:
        per = "，".join(f"{t} {k} 个" for t, k in blank.items())
        line = f"空白单元格按0计：共 {sum(blank.values())} 个（{per}；逐格见 --format json 的 notes）"
        out.insert(min(1, len(out)), line)
    return out


_DB_OPTION = click.option(
    "--db",
    "db_path",
    default="xxgk.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="档案库文件（SQLite）",
)


MAX_NAME = 500  # --agency/--district: longer is no name (and no query to run)


def _short_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and len(value) > MAX_NAME:
        _die(f"{param.opts[0]} 过长（{len(value)} 个字符，最多 {MAX_NAME} 个）：{value[:40]}…")
    return value


_opened: list[str] = []  # the archive this run opened: named when it fails mid-read


def _open_store(path: str, *, create: bool = False):
    from toolkit.store import Store, StoreError

    _opened.append(path)
    try:
        return Store(path, create=create)
    except StoreError as exc:
        _die(str(exc))


def _archive_previous(db_path: str, year: int | None):
    """Last year's figures from the archive (``--archive``), as --previous would give them."""
    if year is None:
        _die("使用 --archive 时请给出 --year（据此取上一年度的数据）")
    with _open_store(db_path) as store:
        prev = store.previous_index(year - 1)
        open_ = store.undecided(year=year - 1)
    click.echo(f"已从档案库读取 {year - 1} 年度数据 {len(prev)} 份", err=True)
    for u in open_:  # no current version: no last year's figures for it, said once
        click.echo(
            term_text(f"提示：{u.agency} {u.year} 年度的报告有 {u.reason}，未读取其数据{u.advice('；')}"),
            err=True,
        )
    return prev


@main.group(context_settings=CONTEXT)
def archive() -> None:
    """档案库：历年报告（填报表、汇总表、已公开的报告）存入一个 SQLite 文件。

    \b
    例：
    xxgk archive add 2023/ 2024/ 报告.html  # 存入（同一文件再次存入不变）
    xxgk archive list --agency 财政局       # 历年版本
    xxgk archive choose 17                  # 指定当前版本
    xxgk archive file 3fa2… -o 原件.xlsx    # 取出原始文件
    """


@archive.command("add", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True)
@_DB_OPTION
@click.option(
    "--roster",
    "roster_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="单位名单：封面未填“上级/所属地区”的单位按名单归入地区（供 trend --district）",
)
@_TEXT_OR_JSON
def archive_add(paths, db_path, roster_path, fmt) -> None:
    """把填报表、汇总表和已公开的报告存入档案库（含其校验问题与原始文件）。

    每个文件单独存入（各为一个事务）：中途被终止时已存入的文件完整保留；某个文件无法存入时说明原因，
    其他文件照常存入。同一文件再次存入不作任何改变；同一单位同一年度的不同文件作为新版本保存，
    当前版本与 xxgk merge 计入汇总的规则相同：内容相同的只计一次；内容不同时，只有一个通过校验的
    以它为准；都通过校验（或都有错误）时不设当前版本，请用 xxgk archive choose 指定。
    有错误的报告照样存入（连同其问题清单）。退出码：0 全部存入或未变，1 有文件未能存入，2 用法错误。

    \b
    例：xxgk archive add 收到的文件/ --db xxgk.db --roster 名单.csv
        xxgk archive add 2020年报告.html 2021年报告.docx
    """

    from toolkit.store import add_paths

    zh = {"added": "存入", "unchanged": "未变", "rejected": "未存入"}

    shown: set[int] = set()

    def line(i: int, n: int, r) -> None:  # as each file is stored (each in its own transaction)
        shown.add(id(r))
        if fmt == "text":
            what = (
                f"{r.agency} {r.year or ''} {_SOURCE_LABEL.get(r.source, r.source)}".strip()
                if r.agency
                else ""
            )
            if any(f.code == "SUMMARY-INCOMPLETE" for f in r.findings):  # passes, but not whole
                what += "（汇总不完整：有未报送、有错误或未计入汇总的单位）"
            click.echo(
                term_text(f"[{i}/{n}] {zh[r.status]}：{r.path}  {what}{'  ' + r.note if r.note else ''}")
            )

    from toolkit.roster import RosterError, read_roster

    roster = None
    if roster_path:
        try:
            roster = read_roster(roster_path)
        except RosterError as exc:
            _die(str(exc))
    with _open_store(db_path, create=True) as store:
        store.on_wait = lambda msg: click.echo(term_text(msg), err=True)
        results = add_paths(store, paths, on_result=line, roster=roster)
        stats = store.stats()
        open_ = store.undecided()  # this add's and any left open before: said every time
    if fmt == "json":
        doc = [
            {
                "path": r.path,
                "status": r.status,
                "sha256": r.sha256 or None,
                "agency": r.agency or None,
                "year": r.year,
                "source": r.source or None,
                "version": r.version_id,
                "current": r.current,
                "undecided": r.undecided,
                "note": r.note or None,
                "errors": sum(1 for f in r.findings if f.severity == "error"),
            }
            for r in results
        ]
        click.echo(json_text({"files": doc, "archive": stats}, indent=2))
    else:
        for r in results:  # a path not found, a folder that cannot be read (no file read)
            if r.status == "rejected" and id(r) not in shown:
                click.echo(term_text(f"未存入：{r.note if r.note == r.path else r.path + '  ' + r.note}"))
        n = {k: sum(1 for r in results if r.status == k) for k in zh}
        click.echo(
            f"已存入档案库：共 {len(results)} 个文件，存入 {n['added']}，未变 {n['unchanged']}，未存入 {n['rejected']}；"
            f"档案库现有 {stats['agencies']} 个单位、{stats['submissions']} 份年度报告、{stats['versions']} 个版本"
        )
        for u in open_[:20]:  # the choices left open, with the commands that make them
            click.echo(
                term_text(
                    f"未定当前版本：{u.agency} {u.year} {_SOURCE_LABEL.get(u.source, u.source)}，"
                    f"{u.reason}（未定前不计入趋势和上年数据）{u.advice('，')}"
                )
            )
        if len(open_) > 20:
            click.echo(f"……共 {len(open_)} 份年度报告未定当前版本，全部见 xxgk archive list")
    sys.exit(1 if any(r.status == "rejected" for r in results) else 0)


def _districts(db_path: str) -> list[str]:
    with _open_store(db_path) as store:
        return store.districts()


_SOURCE_LABEL = {"workbook": "填报表", "summary": "汇总表", "report": "公开报告"}
_FORMAT_LABEL = {"gov-2021": "2021格式", "gov-2019": "2019格式"}


@archive.command("list", context_settings=CONTEXT)
@_DB_OPTION
@click.option("--agency", callback=_short_text, help="单位名称（部分即可）或统一社会信用代码")
@click.option("--year", type=click.IntRange(2000, 2100), help="只列这一报告年度")
@click.option("--all", "all_versions", is_flag=True, help="列出全部版本（默认只列当前版本）")
def archive_list(db_path, agency, year, all_versions) -> None:
    """列出档案库中的报告（单位、年度、来源、版本、是否有错误）。

    退出码：0 已列出，2 用法错误、档案库无法打开或没有匹配的单位。

    \b
    例：xxgk archive list --agency 财政局 --all
    """
    with _open_store(db_path) as store:
        ids = [a.id for a in store.agencies(query=agency)] if agency else None
        if ids == []:
            _die(f"档案库中没有与“{agency}”匹配的单位")
        vs = store.versions(year=year) if all_versions else store.current(year=year, agency_ids=ids)
        if all_versions and ids is not None:
            vs = [v for v in vs if v.agency_id in ids]
        open_ = store.undecided(year=year, agency_ids=ids)
    rows = []  # (agency, year, source, order, line): undecided reports beside the current ones
    for v in vs:
        mark = ("当前" + ("（指定）" if v.chosen_by == "explicit" else "")) if v.current else "    "
        line = (
            f"[{v.id}] {mark} {v.agency} {v.year} {_SOURCE_LABEL.get(v.source, v.source)} "
            f"{_FORMAT_LABEL.get(v.format, v.format)}  {_version_state(v)}  {v.file_name}  {v.file_sha256[:12]}"
        )
        rows.append(((v.agency_id, v.year, v.source, 0) if not all_versions else (v.id,), line))
    for u in open_:
        line = f"[—] 未定 {u.agency} {u.year} {_SOURCE_LABEL.get(u.source, u.source)}  {u.reason}{u.advice('，')}"
        rows.append(
            ((u.agency_id, u.year, u.source, 1) if not all_versions else (max(u.version_ids), 1), line)
        )
    for _key, line in sorted(rows, key=lambda r: r[0]):
        click.echo(term_text(line))
    if not rows:
        click.echo("（没有记录）")


def _version_state(v) -> str:
    """通过 / N 个错误, and an incomplete summary said as such (it passes, but is not whole)."""
    state = "通过" if v.valid else f"{v.errors} 个错误"
    if v.summary_incomplete:
        state = "汇总不完整（有未报送、有错误或未计入汇总的单位）" + ("" if v.valid else f"，{state}")
    return state


@archive.command("choose", context_settings=CONTEXT)
@click.argument("version", type=click.IntRange(1, 2**63 - 1))
@_DB_OPTION
@click.option(
    "--rule",
    is_flag=True,
    help="恢复按规则选择（与 xxgk merge 相同：只有一个通过校验的版本时以它为准），版本编号为该年度报告的任一版本",
)
def archive_choose(version, db_path, rule) -> None:
    """指定某一版本为该单位该年度的当前版本（编号见 xxgk archive list --all）。

    退出码：0 已指定，2 用法错误、档案库无法打开或没有这个版本。

    \b
    例：xxgk archive choose 17
        xxgk archive choose 17 --rule
    """
    from toolkit.store import StoreError

    with _open_store(db_path) as store:
        try:
            v = store.version(version)
            cur = store.choose(rule_for=v.submission_id) if rule else store.choose(version)
            open_ = (
                []
                if cur is not None
                else store.undecided(agency_ids=[v.agency_id], year=v.year, source=v.source)
            )
        except StoreError as exc:
            _die(str(exc))
    if cur is None:
        why = f"{open_[0].reason}{open_[0].advice('，')}" if open_ else "没有当前版本"
        click.echo(term_text(f"{v.agency} {v.year} {_SOURCE_LABEL.get(v.source, v.source)}：按规则，{why}"))
        return
    v = cur
    click.echo(
        term_text(
            f"{v.agency} {v.year} {_SOURCE_LABEL.get(v.source, v.source)}：当前版本为 [{v.id}] {v.file_name}（{'按规则' if rule else '指定'}）"
        )
    )


@archive.command("file", context_settings=CONTEXT)
@click.argument("sha256")
@_DB_OPTION
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="写出的文件")
@click.option("--force", is_flag=True, help="允许覆盖已有的文件（档案库本身从不覆盖）")
def archive_file(sha256, db_path, output, force) -> None:
    """按内容哈希取出存档的原始文件（字节不变）。

    退出码：0 已取出，2 用法错误、档案库无法打开、没有这个文件或无法写出。

    \b
    例：xxgk archive file 3fa2c1… -o 原件.xlsx
    """
    import re

    from toolkit.template import atomic_output

    _guard([output], [db_path], False, replace=force, never=True)  # never over the archive itself
    if not re.fullmatch(r"[0-9a-fA-F]{4,64}", sha256):
        _die(
            f"哈希值应为文件内容哈希（SHA-256，见 xxgk archive list）的前 4 至 64 位十六进制数字（0-9、a-f）：{sha256[:80]}"
        )
    with _open_store(db_path) as store:
        matches = [
            r[0]
            for r in store.db.execute("SELECT sha256 FROM files WHERE sha256 LIKE ?", (sha256.lower() + "%",))
        ]
        if len(matches) != 1:
            _die(f"档案库中{'没有' if not matches else '有多个'}以 {sha256} 开头的文件")
        data = store.file_bytes(matches[0])
    with atomic_output(output) as tmp:
        tmp.write_bytes(data)
    click.echo(term_text(f"已取出：{output}（{len(data)} 字节）"))


@main.command(context_settings=CONTEXT)
@_DB_OPTION
@click.option("--agency", callback=_short_text, help="一个单位（名称的一部分或统一社会信用代码）")
@click.option("--district", callback=_short_text, help="一个地区（封面“上级/所属地区”）的全部单位及其合计")
@click.option("--all", "all_units", is_flag=True, help="档案库中的全部单位及其合计")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="趋势表 .xlsx（--format json/csv 时可省略，输出到屏幕）",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "json", "csv"]),
    default="xlsx",
    show_default=True,
    help="趋势表（xlsx）、JSON 或 CSV（给出 -o 时按其扩展名）",
)
@click.option("--force", is_flag=True, help="允许覆盖已有的文件（档案库本身从不覆盖）")
def trend(db_path, agency, district, all_units, output, fmt, force) -> None:
    """历年趋势：主要数字按年度排列、同比变化、折线图；列出历年全为0或与上年完全相同的单位。

    跨格式（2019年试行格式与2021年格式）只比较可比的数字，其余标为“不可比”。

    退出码：0 已生成，2 用法错误、档案库无法打开、没有匹配的报告或无法写出。

    \b
    例：xxgk trend --agency 财政局 -o 财政局历年.xlsx
        xxgk trend --district 示例市青川区 -o 青川区历年.xlsx
        xxgk trend --all -o 全部.csv
    """
    import io

    from toolkit.template import atomic_output
    from toolkit.trend import trend_data, write_trend_csv, write_trend_json, write_trend_xlsx

    if sum(bool(x) for x in (agency, district, all_units)) != 1:
        _die("请给出 --agency、--district 或 --all 之一")
    if fmt == "xlsx" and not output:
        _die("请用 -o 给出趋势表文件名（.xlsx），或使用 --format json/csv")
    _guard([output], [db_path], False, replace=force, never=True)  # never over the archive itself
    fmt = _format_by_suffix(output, {".xlsx": "xlsx", ".csv": "csv", ".json": "json"}, fmt)
    with _open_store(db_path) as store:
        d = trend_data(store, agency=agency, district=district)
    if not d.units:
        if district:
            known = "、".join(districts[:5]) if (districts := _districts(db_path)) else "（无）"
            _die(
                f"档案库中没有属于“{district}”的单位（按封面“上级/所属地区”，或存入时 --roster 名单的"
                f"上级一栏）；档案库中的地区：{known}"
            )
        if d.flags:  # versions there, none of them current: said with how to choose, not "没有报告"
            said = "\n".join(f"{f['unit']} {'、'.join(map(str, f['years']))}：{f['flag']}" for f in d.flags)
            _die(
                f"档案库中没有{'与“' + agency + '”匹配的' if not all_units else ''}可列入趋势的报告：\n{said}"
            )
        _die(f"档案库中没有{'与“' + agency + '”匹配的' if not all_units else ''}报告")
    if fmt == "xlsx":
        title = f"{agency or district or '全部单位'} 历年趋势"
        write_trend_xlsx(d, output, title=title)
        n = sum(1 for u, _ in d.units if u != "合计")
        years = f"{d.years[0]}–{d.years[-1]}" if d.years[0] != d.years[-1] else f"{d.years[0]}"
        click.echo(term_text(f"已生成趋势表：{output}（{n} 个单位，{years} 年）"))
    else:
        if fmt == "json":
            text = json_text(write_trend_json(d), indent=2) + "\n"
        else:
            buf = io.StringIO()
            write_trend_csv(d, buf)
            text = buf.getvalue()
        if output:
            with atomic_output(output) as tmp:
                tmp.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        else:
            click.echo(text, nl=False)
    for f in d.flags:
        click.echo(term_text(f"提示：{f['unit']} {f['flag']}（{'、'.join(map(str, f['years']))}）"), err=True)


def _shown_path(f: str) -> str:
    """A file as the person who ran the command named its folder: relative to where they are, when
    it lies below it; else the whole path."""
    import os

    try:
        rel = os.path.relpath(f)
    except ValueError:  # another drive (Windows)
        return f
    return f if rel.startswith("..") else rel


def _merge_text(summary, output: str) -> str:
    from toolkit.outputs.console import SEVERITY_ZH

    sub = summary.submission
    v = sub.all_values()
    lines = [
        f"汇总：{sub.agency} {sub.year or ''} 年度，计入 {summary.counted_of().phrase()} → {output}",
        f"报送情况：{summary.status_line()}",
    ]
    order = {"名单外": 0, "有错误": 1, "重复": 2, "未报送": 3}
    for r in summary.records.sorted(order, 9, by_name=False):
        if r.status != "已报送":
            where = f"（{Path(r.file).name}）" if r.file else ""
            lines.append(f"  {r.status}：{r.name}{where}{'，' + r.note if r.note else ''}")
    from collections import Counter

    names = Counter(Path(f).name for f, _why in summary.skipped)
    for f, why in summary.skipped:  # a name several skipped files share: with its folder
        lines.append(f"  跳过：{Path(f).name if names[Path(f).name] == 1 else _shown_path(f)}，{why}")
    lines.append(
        f"主要数字：本年新收申请 {v.get('t3.new_received.total', 0)} 件，上年结转 "
        f"{v.get('t3.carried_in.total', 0)} 件，办理完结 {v.get('t3.result_total.total', 0)} 件，"
        f"结转下年 {v.get('t3.carried_out.total', 0)} 件；行政复议 {v.get('t4.review_total', 0)} 件，"
        f"行政诉讼 {v.get('t4.suit_direct_total', 0) + v.get('t4.suit_after_review_total', 0)} 件"
    )
    own = [f for f in summary.findings if f.code not in ("MISSING-SUBMISSION",)]
    errors = 0
    for rep in summary.reports_with_findings():  # a report with errors has findings
        errors += rep.errors
        own += [f for f in rep.findings if f.code == "SUMMARY-INCOMPLETE"]
    for f in own:
        lines.append(f"  {SEVERITY_ZH[f.severity]} [{f.code}] {f.message}")
    if errors:
        lines.append(f"文件中的错误共 {errors} 条（详见汇总表“问题清单”，或用 xxgk validate 查看）")
    lines.append(
        "汇总完整，全部通过" if summary.complete else "汇总不完整：有未报送、有错误或未计入汇总的文件"
    )
    return "\n".join(lines)


# -- serve ----------------------------------------------------------------------------------------
@main.command(context_settings=CONTEXT)
@_DB_OPTION
@click.option(
    "--roster",
    type=_InFile(),
    help="名单（CSV 或 xlsx）：为每个单位生成报送链接",
)
@click.option(
    "--year", type=click.IntRange(2000, 2100), help="报告年度（默认：已有链接的最近年度，否则上一年）"
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="绑定地址；0.0.0.0 表示局域网内可访问（会给出警告）",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="端口（0：任选空闲端口）"
)
@click.option("--set-password", is_flag=True, help="设置（或更改）协调人密码后启动")
@click.option(
    "--regions",
    "regions_file",
    type=_InFile(),
    help="地区树（CSV：地区,上级地区）：名单的“上级”列只写地区名时，按此放入省、市、区县的层级",
)
@click.option(
    "--base-url",
    help="报送链接的地址前缀，局域网使用时必填，如 http://192.168.1.10:8000（或 HTTPS 反向代理的地址）",
)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="处理请求的线程数")
@click.option(
    "--summary-background-after",
    type=click.IntRange(0, 1000000),
    default=40,
    show_default=True,
    help="汇总的文件多于此数时在后台进行，汇总页面显示进度",
)
@click.option(
    "--max-upload-mb", type=click.IntRange(1, 50), default=5, show_default=True, help="单个上传文件的大小上限"
)
@click.option(
    "--max-uploads",
    type=click.IntRange(1, 100000),
    default=200,
    show_default=True,
    help="每个单位每年度最多上传次数",
)
def serve(
    db_path,
    roster,
    year,
    host,
    port,
    set_password,
    threads,
    summary_background_after,
    max_upload_mb,
    max_uploads,
    base_url,
    regions_file,
) -> None:
    """网页报送：各单位用专用链接下载模板、上传即校验；协调人查看报送情况、指定版本、下载汇总。

    数据存入档案库（与 xxgk archive 同一文件）：每次上传按内容哈希保存，从不覆盖。
    默认只绑定本机 127.0.0.1；首次启动时设置协调人密码（以 scrypt 加盐哈希保存）。

    密钥（签名会话、生成报送链接）保存在档案库旁的 .key 文件中，不在档案库里；请一并备份。

    \b
    例：
      首次（生成链接、设置密码）：
        xxgk serve --roster samples/roster.csv --year 2025 --set-password
      以后（直接启动）：
        xxgk serve
      局域网内访问：
        xxgk serve --host 0.0.0.0 --port 8000 --base-url http://192.168.1.10:8000

    退出码：0 按 Ctrl+C 正常停止，2 用法错误或无法启动（名单或档案库无法使用、端口已被占用等）。
    """
    import datetime as dt
    import re

    from toolkit.regions import ROOT_LOGIN, ensure_root_account, read_tree_file, register
    from toolkit.roster import RosterError, read_roster
    from toolkit.season import prepare_keys
    from toolkit.store import StoreError, WebStore
    from toolkit.web.app import Limits
    from toolkit.web.security import KeyFileError, Keys, hash_password, password_problem
    from toolkit.web.server import make_server, warn_exposed

    if base_url is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url.strip()):
        _die("--base-url 应为 http:// 或 https:// 开头的地址，如 http://192.168.1.10:8000")
    tree_file = None
    if regions_file:  # read before the archive is opened: a bad file changes nothing
        try:
            tree_file = read_tree_file(regions_file)
        except (OSError, ValueError) as exc:
            _die(f"地区树文件 {regions_file}：{exc}")
    no_roster = f"请用 --roster 给出名单（CSV 或 xlsx），如 xxgk serve --roster 名单.csv --year {year or '2025'} --set-password"
    if not roster and not Path(db_path).exists():  # said before anything is written (no archive, no key file)
        _die(f"档案库 {db_path} 不存在，还没有报送名单：{no_roster}")
    from toolkit.web.server import LockProblem, ServeLock

    lock = ServeLock(db_path)  # before the roster or the password touch the archive
    try:
        holder = lock.acquire()
    except LockProblem as exc:
        _die(str(exc))
    if holder is not None:
        _die(
            f"档案库 {db_path} 正由另一个 xxgk serve 使用（{holder}）；同一档案库只能运行一个 xxgk serve。"
            "请先在它的窗口按 Ctrl+C 停止（更换名单也需先停止），再启动"
        )
    try:
        store = WebStore(db_path)
    except StoreError as exc:
        _die(str(exc))
    with store:
        if year is None:
            year = max(store.web_years(), default=dt.date.today().year - 1)
        if not roster and not store.web_agencies(year):
            _die(f"{year} 年度还没有名单：{no_roster}")
        try:
            keys = Keys.for_db(db_path)
            prepare_keys(store, keys)
        except KeyFileError as exc:
            _die(str(exc))
        from toolkit.season import mend_split_links

        for name, ups, vers in mend_split_links(store):  # an older serve's split of one agency
            click.echo(
                term_text(
                    f"档案库：“{name}”被旧版 serve 分成的两条报送记录已合并（上传 {ups} 个、版本 {vers} 个并入）"
                ),
                err=True,
            )
        if roster:
            try:
                r = read_roster(roster)
            except RosterError as exc:
                _die(str(exc))
            for f in r.findings:
                click.echo(term_text(f"名单：{f.message}"), err=True)
            from toolkit import season
            from toolkit.regions import gone_messages, moved_messages, moved_since_submit
            from toolkit.regions import tree as region_tree

            before = {st.agency.id: st.status for st in season.states(store, year)}
            stale_before = moved_since_submit(store, year)
            tree_before = region_tree(store, year) if store.web_regions(year) else None  # never makes one
            reg = register(store, year, r.entries, keys.fresh_token, tree_file)
            for line in [*(f.message for f in reg.findings), *reg.recoded]:
                click.echo(term_text(f"名单：{line}"), err=True)
            for name, file in season.refile(store, year):  # uploads the old roster left unfiled
                click.echo(
                    term_text(
                        f"名单：按本名单重新核对，“{name}”此前未归档的上传文件“{file}”现为本单位的报告，已归档"
                    ),
                    err=True,
                )
            for name, was, now in season.settle_all(store, year, before):  # verdicts against the new roster
                click.echo(
                    term_text(f"名单：按本名单重新核对已上传文件的封面，“{name}”由“{was}”变为“{now}”"),
                    err=True,
                )
            click.echo(f"名单：{len(r.entries)} 个单位，新生成报送链接 {reg.new} 个", err=True)
            if reg.removed:
                gone = "、".join(a.name for a in reg.removed[:20]) + ("等" if len(reg.removed) > 20 else "")
                click.echo(
                    f"名单：原名单中的 {len(reg.removed)} 个单位不在本名单中（{gone}），已移出本年度的报送、"
                    "催报和汇总，其链接停用；已上传的文件仍保存在档案库中",
                    err=True,
                )
            for line in moved_messages(stale_before, moved_since_submit(store, year)):
                click.echo(line, err=True)  # a district's 上报 the move put out of date
            if tree_before is not None:
                for line in gone_messages(store, year, tree_before, region_tree(store, year)):
                    click.echo(term_text(line), err=True)  # a region the roster left out (renamed)
        if not store.web_agencies(year):
            _die(f"{year} 年度还没有名单：请用 --roster 给出名单（CSV 或 xlsx）")
        ensure_root_account(store)
        if set_password or store.web_account(login=ROOT_LOGIN) is None:
            if not set_password and not sys.stdin.isatty():
                _die("还没有设置协调人密码：请运行 xxgk serve --set-password")
            if sys.stdin.isatty():
                pw = click.prompt("协调人密码", hide_input=True, confirmation_prompt="再输入一次", err=True)
            else:  # piped (scripts, tests): the first line of standard input
                pw = sys.stdin.readline().rstrip("\r\n")
            if why := password_problem(pw):
                _die(why)
            ensure_root_account(store, hash_password(pw))
            click.echo(
                f"协调人密码已设置（加盐哈希保存；最上级账号 {ROOT_LOGIN}，登录时账号可不填）", err=True
            )
    warn_exposed(host)
    try:
        srv = make_server(
            db_path,
            year=year,
            host=host,
            port=port,
            threads=threads,
            limits=Limits(
                max_upload_bytes=max_upload_mb * 1024 * 1024,
                max_uploads_per_agency=max_uploads,
                summary_sync_files=summary_background_after,
            ),
            base_url=base_url.strip() if base_url else None,
        )
    except OSError as exc:
        _die(f"无法在 {host}:{port} 启动服务：{_socket_problem(exc, host, port)}")
    # 0.0.0.0 / :: is where it listens, not an address a browser opens: this machine's is 127.0.0.1
    local = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    shown = f"[{local}]" if ":" in local else local
    url = f"http://{shown}:{srv.effective_port}"
    lock.note(url)
    import contextlib

    # Ctrl+C once the server is up — also while it is saying so — is a normal stop: quiet, exit 0
    with contextlib.suppress(KeyboardInterrupt):
        click.echo(f"xxgk serve：{year} 年度报送已启动 {url}/", err=True)
        click.echo(f"协调人：{url}/login    报送链接清单：{url}/coord/links    按 Ctrl+C 停止", err=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            where = (
                base_url.strip() if base_url else "（未指定 --base-url：链接取自打开链接清单页面时的地址）"
            )
            click.echo(f"局域网内的报送链接以此为前缀：{where}", err=True)
        sys.stderr.flush()
        try:
            srv.run()
        finally:
            from toolkit.web.app import STOPPED

            STOPPED.set()


def _socket_problem(exc: OSError, host: str, port: int) -> str:
    """Why the server could not listen, in Chinese (the system says it in English)."""
    import errno
    import socket

    why = {
        errno.EADDRINUSE: f"端口 {port} 已被占用（可能已有一个 xxgk serve 在运行）；"
        "请先停止它，或用 --port 换一个端口，如 --port 8001",
        errno.EACCES: f"没有权限使用端口 {port}（1024 以下的端口需要管理员权限）；请用 --port 换一个端口，如 --port 8000",
        errno.EPERM: f"没有权限使用端口 {port}；请用 --port 换一个端口，如 --port 8000",
        errno.EADDRNOTAVAIL: f"本机没有地址 {host}；请检查 --host（本机用 127.0.0.1，局域网用 0.0.0.0）",
    }.get(exc.errno or 0, f"网络错误（错误号 {exc.errno}）" if exc.errno else "网络错误")
    if isinstance(exc, socket.gaierror):
        return f"找不到地址 {host}；请检查 --host（本机用 127.0.0.1，局域网用 0.0.0.0）"
    return why


if __name__ == "__main__":  # pragma: no cover
    main()
