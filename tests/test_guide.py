"""The Chinese user guide (docs/用户指南.md) holds: the README links it on its first screen, every
picture it shows is in the repository and small, every ``xxgk`` command it writes names a real
command with options that command has (and parses), and its prose is Chinese: no English words
outside commands, options, file names and the names of programs and formats."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from tests.conftest import ROOT
from tests.test_help_zh import english_words
from toolkit.cli import main

GUIDE = ROOT / "docs" / "用户指南.md"
TEXT = GUIDE.read_text(encoding="utf-8")
MAX_IMAGE = 150 * 1024


def _images() -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", TEXT)


def _commands() -> list[str]:
    """Every ``xxgk`` command line of the guide: in ```bash blocks and in inline code."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", TEXT, flags=re.S):
        out += [ln.strip() for ln in block.splitlines() if ln.strip().startswith("xxgk ")]
    out += [c for c in re.findall(r"`([^`\n]+)`", TEXT) if c.startswith("xxgk ")]
    return out


def _command(args: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The click command ``args`` names (subcommands followed down), its path and its arguments."""
    cmd: click.Command = main
    path: list[str] = []
    while isinstance(cmd, click.Group) and args and not args[0].startswith("-"):
        sub = cmd.get_command(click.Context(cmd), args[0])
        assert sub is not None, f"没有 {' '.join(['xxgk', *path, args[0]])} 这个命令"
        cmd, path, args = sub, [*path, args[0]], args[1:]
    return cmd, path, args


def test_the_readme_links_the_guide_on_its_first_screen():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = "\n".join(readme.splitlines()[:30])  # what a browser shows before scrolling, about
    assert "(docs/用户指南.md)" in first
    # the first screen is Chinese: its prose (commands aside) has more Chinese characters than
    # Latin letters, and the English begins below it
    prose = re.sub(r"`[^`\n]*`", " ", re.sub(r"```.*?```", " ", first, flags=re.S))
    assert len(re.findall(r"[\u4e00-\u9fff]", prose)) > 3 * len(re.findall(r"[A-Za-z]", prose))
    assert readme.index("## 新机器上的两条命令") < readme.index("## In English")


def test_every_picture_exists_and_is_small():
    images = _images()
    assert len(images) >= 15
    for rel in images:
        path = (GUIDE.parent / rel).resolve()
        assert path.is_file(), rel
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
        assert path.stat().st_size < MAX_IMAGE, (rel, path.stat().st_size)
    # and no picture of the guide's folder is left unused
    shown = {(GUIDE.parent / r).resolve() for r in images}
    folder = GUIDE.parent / "images" / "guide"
    assert {p.resolve() for p in folder.glob("*.png")} <= shown


def test_the_sections_a_reader_needs():
    for heading in ("## 一、填报人", "## 二、协调人（网页）", "## 三、协调人（命令行）", "## 四、常见问题"):
        assert heading in TEXT
    for anchor in re.findall(r"\]\(#([^)]+)\)", TEXT):  # the table of contents resolves
        titles = re.findall(r"^#+ (.+)$", TEXT, flags=re.M)
        slugs = {re.sub(r"[^\w\- ]", "", t).strip().lower().replace(" ", "-") for t in titles}
        assert anchor in slugs, anchor


COMMANDS = _commands()


def test_the_guide_has_commands_of_every_kind():
    used = {tuple(_command(shlex.split(c)[1:])[1]) for c in COMMANDS}
    for path in [("serve",), ("template",), ("validate",), ("merge",), ("render",), ("archive", "add"),
                 ("archive", "list"), ("trend",), ("import",)]:  # fmt: skip
        assert path in used, path


OUTPUTS = {"-o", "--output", "--report", "--annotate"}


@pytest.mark.parametrize("line", COMMANDS)
def test_every_command_parses_with_the_options_it_writes(line, tmp_path, monkeypatch):
    cmd, path, args = _command(shlex.split(line)[1:])
    # the files and folders the line reads exist (empty), as they would on the coordinator's disk
    monkeypatch.chdir(tmp_path)
    for before, arg in zip(["", *args], args, strict=False):
        if arg.startswith("-") or before in OUTPUTS or not re.search(r"/$|\.\w+$", arg):
            continue
        target = tmp_path / arg
        if arg.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
    opts = {o for p in cmd.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
    unknown = [a for a in args if a.startswith("-") and a.split("=")[0] not in opts]
    assert unknown == [], (line, unknown)
    # click itself parses the line (types checked, values counted); files need not exist here
    ctx = cmd.make_context(" ".join(["xxgk", *path]), list(args), resilient_parsing=False)
    assert ctx.params is not None


def test_no_english_words_in_the_prose():
    prose = re.sub(r"```.*?```", " ", TEXT, flags=re.S)  # commands and file examples
    prose = re.sub(r"`[^`\n]*`", " ", prose)  # inline commands, options, file names
    prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets (picture paths, anchors)
    # a program, a unit and a format said as the pages say them (文件不超过 5 MB, 批注版（zip）)
    assert english_words(prose, {"xxgk", "Python", "MB", "zip"}) == []
