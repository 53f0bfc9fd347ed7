"""Start-up: ``import toolkit`` and the CLI import nothing heavy; each command imports what it
uses (timings are in benchmarks/bench_startup.py, never in tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("xlsxwriter", "pandas", "openpyxl")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_cli_imports_no_heavy_library():
    mods = _modules_after("import toolkit.cli")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    assert "toolkit.merge" not in mods and "toolkit.outputs.summary" not in mods


def test_validate_command_imports_no_writer():
    """What ``xxgk validate one.xlsx`` imports: the reader and the rules, not the writers."""
    mods = _modules_after("import toolkit.cli, toolkit.validate, toolkit.outputs.console")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    assert "toolkit.importers.report" not in mods


def test_public_api_still_whole():
    code = (
        "import toolkit.validate, toolkit.merge, toolkit.trend\n"  # submodules first: the functions stay bound
        "import toolkit\n"
        "from toolkit import make_template, read_workbook, validate, merge, write_summary, Submission\n"
        "assert callable(validate) and callable(merge) and toolkit.validate is validate\n"
        "assert toolkit.merge is merge and validate.__module__ == 'toolkit.validate'\n"
        "assert callable(toolkit.trend) and toolkit.store.Store is toolkit.Store\n"
        "assert set(toolkit.__all__) <= set(dir(toolkit))\n"
        "for name in toolkit.__all__: getattr(toolkit, name)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "xxgk validate" in out.stdout


def _run_modules(args: list[str], env_extra: dict[str, str], cwd: Path = ROOT) -> set[str]:
    """The modules loaded by the ``xxgk`` command ``args`` (run through its real entry)."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['xxgk', *{args!r}]\n"
        "from toolkit.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, **env_extra}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_loads_the_cli_only(tmp_path):
    mods = _run_modules(["--help"], {"XXGK_CACHE_DIR": str(tmp_path)})
    assert "click" in mods
    for never in (
        "yaml",
        "pickle",
        "csv",
        "html.entities",
        "toolkit.spec",
        "toolkit.reader",
        "toolkit.validate",
    ):
        assert never not in mods, never


def test_validate_reads_the_spec_from_the_cache(tmp_path):
    """The first run parses the YAML (PyYAML imported) and caches the spec; later runs load the
    cached spec: no YAML parser, no roster/csv, no writer."""
    from toolkit.model import Submission
    from toolkit.template import make_template

    one = tmp_path / "区财政局.xlsx"
    make_template(one, Submission(cover={"agency": "区财政局", "year": 2025}))
    env = {"XXGK_CACHE_DIR": str(tmp_path / "cache")}
    first = _run_modules(["validate", str(one)], env)
    assert "yaml" in first and list((tmp_path / "cache" / "spec").glob("*.pickle"))
    again = _run_modules(["validate", str(one)], env)
    assert "toolkit.reader" in again and "toolkit.rules" in again
    for never in ("yaml", "csv", "html.entities", "toolkit.roster", "openpyxl", "xlsxwriter", "pandas"):
        assert never not in again, never
    off = _run_modules(["validate", str(one)], {"XXGK_CACHE_DIR": ""})  # cache switched off: parsed
    assert "yaml" in off


def _checkout_without_bytecode(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the sources that never wrote bytecode, and the environment of a machine with
    PYTHONDONTWRITEBYTECODE=1 whose command caches bytecode under ``cache``."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "toolkit", src / "toolkit", ignore=ignore)
    shutil.copytree(ROOT / "workbook_templates", src / "workbook_templates", ignore=ignore)
    cache = tmp_path / "cache"
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(src), "XXGK_CACHE_DIR": str(cache)}
    return src, cache, {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"} | env


def test_no_bytecode_setting_keeps_the_checkout_clean(tmp_path):
    """With PYTHONDONTWRITEBYTECODE=1 the command caches its bytecode under the user cache
    directory, never beside the sources; the second start compiles nothing of the toolkit."""
    src, cache, env_all = _checkout_without_bytecode(tmp_path)
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "toolkit", "--help"], cwd=src, env=env_all, capture_output=True, text=True
        )
        assert out.returncode == 0 and "xxgk validate" in out.stdout
    assert not list(src.rglob("__pycache__"))
    cached = {p.name.split(".")[0] for p in (cache / "pycache").rglob("*.pyc")}
    assert {"cli", "textsafe"} <= cached
    # a further start reads that bytecode: nothing is compiled and written again
    stamps = {p: p.stat().st_mtime_ns for p in (cache / "pycache").rglob("*.pyc")}
    subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], cwd=src, env=env_all, capture_output=True, check=True
    )
    assert {p: p.stat().st_mtime_ns for p in (cache / "pycache").rglob("*.pyc")} == stamps
    # the library stays as the interpreter is set: importing toolkit writes nothing
    lib = tmp_path / "lib-cache"
    subprocess.run(
        [sys.executable, "-c", "import toolkit.cli"],
        cwd=src,
        env=env_all | {"XXGK_CACHE_DIR": str(lib)},
        check=True,
    )
    assert not lib.exists() and not list(src.rglob("__pycache__"))


def test_bytecode_cut_short_never_breaks_a_later_start(tmp_path):
    """CPython writes a module's bytecode with one unchecked write: a run under a file-size limit
    (``ulimit -f``; a disk filling is the same) kept truncated .pyc files in the command's cache,
    and every later ``xxgk merge`` said only "Aborted!" (click's word for the EOFError of the
    import) — in CI a hostile test's limit broke every later command of the checkout. A run
    under such a limit writes no bytecode; a truncated one found is removed and said."""
    resource = pytest.importorskip("resource", reason="POSIX only: RLIMIT_FSIZE")
    src, cache, env_all = _checkout_without_bytecode(tmp_path)
    cmd = [sys.executable, "-m", "toolkit", "merge", str(ROOT / "samples"), "--year", "2025", "--jobs", "1"]

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))

    def run(out: str, **kw):
        return subprocess.run(
            [*cmd, "-o", str(tmp_path / out)], cwd=src, env=env_all, capture_output=True, text=True, **kw
        )

    cut = run("a.xlsx", preexec_fn=limited)  # its summary cannot be written: said, exit 2
    assert cut.returncode == 2 and "Aborted" not in cut.stderr, cut.stderr[-300:]
    after = run("b.xlsx")
    assert after.returncode == 1 and "汇总不完整" in after.stdout, after.stderr[-300:]
    # a truncated .pyc found (a disk that filled): removed, said, and the next run is whole
    pyc = next(p for p in (cache / "pycache").rglob("summary.*.pyc") if p.parent.name == "outputs")
    pyc.write_bytes(pyc.read_bytes()[:200])
    broken = run("c.xlsx")
    assert broken.returncode == 2 and "程序缓存文件已损坏" in broken.stderr, broken.stderr[-300:]
    again = run("d.xlsx")
    assert again.returncode == 1 and (tmp_path / "d.xlsx").exists(), again.stderr[-300:]


def test_spec_cache_is_keyed_by_the_yaml_and_survives_damage(tmp_path, monkeypatch):
    import dataclasses
    import pickle

    from toolkit import spec as spec_mod

    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path))
    text = (spec_mod._formats_dir() / "gov-2021.yaml").read_bytes()
    fresh = spec_mod.parse_spec(text, "gov-2021.yaml")
    first = spec_mod._cached_parse(text, "gov-2021.yaml")  # parsed, written
    (cached_file,) = (tmp_path / "spec").glob("*.pickle")
    again = spec_mod._cached_parse(text, "gov-2021.yaml")  # loaded
    assert again is not first
    for f in dataclasses.fields(fresh):
        assert getattr(again, f.name) == getattr(fresh, f.name), f.name
    assert again.total_keys == fresh.total_keys
    # a changed YAML is another file, never the cached spec of the old bytes
    changed = text.replace(b"\nname: ", "\nname: 改".encode(), 1)
    assert spec_mod._cached_parse(changed, "x.yaml").name != fresh.name
    assert len(list((tmp_path / "spec").glob("*.pickle"))) == 2
    # a truncated file or a pickle of something else: parsed again and rewritten
    for damage in (cached_file.read_bytes()[:100], pickle.dumps({"not": "a spec"})):
        cached_file.write_bytes(damage)
        assert spec_mod._cached_parse(text, "gov-2021.yaml").cells == fresh.cells
        assert pickle.loads(cached_file.read_bytes()).cells == fresh.cells
    # an unwritable cache only means parsing
    monkeypatch.setenv("XXGK_CACHE_DIR", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("")
    assert spec_mod._cached_parse(text, "gov-2021.yaml").cells == fresh.cells
