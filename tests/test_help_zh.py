"""The help a person reads is Chinese (issue 18): click's frame (用法, 选项, 命令, [默认], [必填],
显示本帮助并退出), every option's help, and the examples. English is left only where it is what
one types or names a thing: option names, file and folder names in examples, rule codes, the names
of formats and programs, and the values of a choice."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from toolkit.cli import main

# names of formats, programs and standards, said as they are (what a person sees on the box)
NAMES = {
    "CSV", "JSON", "SQLite", "Word", "Excel", "WPS", "Markdown", "PDF", "HTML", "Ctrl", "C",
    "scrypt", "xxgk", "jq", "LibreOffice", "SHA", "A4", "ID", "xlsx", "docx", "md", "pdf", "txt", "null", "HTTP", "HTTPS", "TLS",
}  # fmt: skip


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


COMMANDS = _commands(main)


def _choices(cmd: click.Command) -> set[str]:
    return {str(c) for p in cmd.params if isinstance(p.type, click.Choice) for c in p.type.choices}


_STOP = r"\s，。；：（）“”、|"  # what ends a path or a file name in Chinese text


def english_words(text: str, allowed: set[str]) -> list[str]:
    """The English words of ``text`` a person would have to read as English: what is left once
    option names, paths and file names, rule codes, codes and hashes (words with digits), format
    and program names and the ``allowed`` words (commands, a choice's values) are taken out."""
    text = re.sub(r"(?<![\w-])--?[A-Za-z][\w-]*", " ", text)  # --year, -o
    text = re.sub(rf"[^{_STOP}]*[/\\][^{_STOP}]*", " ", text)  # samples/, out/模板.xlsx
    text = re.sub(rf"[^{_STOP}]*\.[A-Za-z][^{_STOP}]*", " ", text)  # 报告.docx, .json, jq .summary
    text = re.sub(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b", " ", text)  # YEAR-MISMATCH
    words = re.findall(r"[A-Za-z0-9]+", text)
    return [
        w
        for w in words
        if not re.search(r"\d", w) and w not in NAMES and w not in allowed and w.lower() not in allowed
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("xxgk", *p)))
def test_help_has_no_english_words_outside_names_and_examples(path):
    r = CliRunner().invoke(main, [*path, "--help"], prog_name="xxgk")
    assert r.exit_code == 0, r.output
    cmd = main
    for name in path:
        cmd = cmd.get_command(click.Context(cmd), name)
    # the values of a choice and the commands are typed as they are (gov-2021, xxgk merge)
    allowed = _choices(cmd) | {"gov"} | {name for p in COMMANDS for name in p}
    assert english_words(r.output, allowed) == []
    for frame in ("用法：", "选项："):
        assert frame in r.output
    assert "显示本帮助并退出" in r.output


@pytest.mark.parametrize("path", COMMANDS[1:], ids=lambda p: " ".join(("xxgk", *p)))
def test_every_option_says_what_it_is_for(path):
    cmd = main
    for name in path:
        cmd = cmd.get_command(click.Context(cmd), name)
    bare = [p.opts[0] for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert bare == []


def test_the_frame_words_are_translated_and_aligned():
    out = CliRunner().invoke(main, ["merge", "--help"], prog_name="xxgk").output
    assert "[必填]" in out and "[默认：1；1至64]" in out and "-o, --output 文件" in out
    # the help column starts at one display column on every row (a Chinese character takes two)
    import unicodedata

    def col(line: str, text: str) -> int:
        head = line[: line.index(text)]
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in head)

    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("  -") or ln.startswith("  --")}
    assert (
        col(rows["--roster"], "名单") == col(rows["--include-invalid"], "有错误") == col(rows["-j,"], "并行")
    )


def _command(path: tuple[str, ...]) -> click.Command:
    cmd = main
    for name in path:
        cmd = cmd.get_command(click.Context(cmd), name)
    return cmd


def _arguments(path: tuple[str, ...]) -> list[click.Argument]:
    return [p for p in _command(path).params if isinstance(p, click.Argument) and p.required]


WITH_ARGUMENTS = [p for p in COMMANDS[1:] if _arguments(p)]


@pytest.mark.parametrize("path", WITH_ARGUMENTS, ids=lambda p: " ".join(("xxgk", *p)))
def test_a_missing_argument_is_named_in_chinese(path):
    """A clerk who forgets the folder reads which one is missing in the words of the usage line
    (“缺少参数 PATHS” before: the program's internal name)."""
    from tests.conftest import run_cli

    required = [p.opts[0] for p in _command(path).params if isinstance(p, click.Option) and p.required]
    r = run_cli(*path, *(a for opt in required for a in (opt, "x.xlsx")))
    assert r.returncode == 2 and r.stdout == ""
    line = r.stderr.strip()
    assert line.startswith("错误：缺少参数") and len(line.splitlines()) == 1, line
    said = line.split("（用法见")[0]
    assert english_words(said, set()) == [], line
    usage = CliRunner().invoke(main, [*path, "--help"], prog_name="xxgk").output.splitlines()[0]
    named = re.search(r"“([^”]+)”", said)
    assert named and named.group(1) in usage, (line, usage)


def test_an_argument_out_of_range_is_said_in_chinese_without_a_machine_limit():
    from tests.conftest import run_cli

    r = run_cli("archive", "choose", "0")
    line = r.stderr.strip()
    assert r.returncode == 2 and line.startswith("错误：版本编号"), line
    assert english_words(line.split("（用法见")[0], set()) == [] and "9223372036854775807" not in line


def test_a_hash_that_is_no_hash_is_said_in_chinese(tmp_path):
    """archive file with a mistyped hash: one Chinese line naming what a hash is and where to see
    one (it said "SHA256 应为…")."""
    from tests.conftest import run_cli

    r = run_cli("archive", "file", "abc", "--db", tmp_path / "a.db", "-o", tmp_path / "x.xlsx")
    line = r.stderr.strip()
    assert r.returncode == 2 and line.startswith("错误：哈希值应为") and "xxgk archive list" in line, line
    assert "SHA256" not in line and len(line.splitlines()) == 1


@pytest.mark.parametrize("path", [("validate",), ("merge",), ("render",)], ids=" ".join)
def test_last_years_files_are_asked_for_as_a_path_not_as_text(path):
    """--previous takes files, folders or wildcards: its help row said “--previous 文本” (click's
    TEXT), as if one typed words there."""
    out = CliRunner().invoke(main, [*path, "--help"], prog_name="xxgk").output
    row = next(ln for ln in out.splitlines() if ln.strip().startswith("--previous"))
    assert row.split()[1] == "路径", row


@pytest.mark.parametrize(
    ("args", "says", "see"),
    [
        (["validate", "samples", "--force=yes"], "--force", "xxgk validate --help"),
        (["validate", "samples", "--year"], "--year", "xxgk validate --help"),
        (["merge", "samples", "-o"], "-o", "xxgk merge --help"),
        (["archive", "list", "--agency"], "--agency", "xxgk archive list --help"),
    ],
)
def test_an_option_without_its_value_or_with_one_too_many_is_said_in_chinese(args, says, see):
    """`--force=yes` printed click's English (“Option '--force' does not take a value.”), and an
    option left without its value pointed to `xxgk --help` instead of the command's own help."""
    from tests.conftest import run_cli

    r = run_cli(*args)
    line = r.stderr.strip()
    assert r.returncode == 2 and len(line.splitlines()) == 1 and line.startswith("错误："), line
    assert says in line and f"（用法见 {see}）" in line, line
    assert english_words(line.split("（用法见")[0], set()) == [], line
