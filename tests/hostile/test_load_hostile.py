"""The reader's loading of a file (``reader._open``/``_load``, one ``os.read``) given what is not a
regular file: a FIFO with no writer, /dev/zero and /dev/urandom behind a workbook's name, a
folder, a link to nothing, a file past the size bound. Each is a finding that says what it is
(never 文件是空的 for a pipe, never 找不到 for a name that is there), in a child under a memory
and CPU limit, and nothing waits for a writer that never comes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.hostile.proc import ROOT, limits, run_python, run_xxgk

SAMPLE = ROOT / "samples" / "青川区公安分局.xlsx"


@pytest.fixture
def odd(tmp_path) -> dict[str, Path]:
    d = tmp_path / "odd"
    d.mkdir()
    out = {
        "fifo": d / "管道.xlsx",
        "zero": d / "零.xlsx",
        "random": d / "随机.xlsx",
        "folder": d / "文件夹.xlsx",
        "dangling": d / "断链.xlsx",
    }
    os.mkfifo(out["fifo"])
    out["zero"].symlink_to("/dev/zero")
    out["random"].symlink_to("/dev/urandom")
    out["folder"].mkdir()
    out["dangling"].symlink_to(d / "不存在.xlsx")
    return out


def test_read_file_says_a_pipe_a_device_or_a_folder_is_no_regular_file(odd):
    # a FIFO and /dev/zero were 文件是空的（0 字节），可能没有保存完整… (their size is 0): a clerk
    # sent to save again a file that is a pipe
    code = f"""
import json
from toolkit.reader import read_file
out = {{}}
for name, p in {json.dumps({k: str(v) for k, v in odd.items() if k != "dangling"})}.items():
    for whole in (True, False):
        r = read_file(p, whole=whole)
        out[name + str(whole)] = [(f.code, f.message) for f in r.findings] if r.submission is None else None
print(json.dumps(out, ensure_ascii=False))
"""
    r = run_python(code, cpu=120, timeout=300)  # a hang guard: the FIFO waited for ever
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    kinds = {"fifo": "管道", "zero": "设备", "random": "设备", "folder": "文件夹"}
    for key, findings in got.items():
        name = key.removesuffix("True").removesuffix("False")
        assert findings == [["FILE-UNREADABLE", f"不是普通文件（是{kinds[name]}），未读取"]], (key, findings)


@pytest.mark.parametrize("which", ["fifo", "zero"])
def test_merge_texts_from_a_pipe_or_a_device_does_not_wait_for_ever(odd, tmp_path, which):
    # ``--texts`` is read by its form's parts alone (whole=False): zipfile.ZipFile(path) opened a
    # FIFO and waited for a writer for ever; /dev/zero it read without end (killed here by the CPU
    # limit, where a person's merge ran until stopped)
    out = tmp_path / "汇总.xlsx"
    r = run_xxgk(
        ["merge", str(SAMPLE), "-o", str(out), "--texts", str(odd[which])],
        preexec_fn=limits(cpu=120),
        timeout=300,  # a hang guard
    )
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert f"{odd[which].name} 无法读取，其中的文字未能保留" in r.stderr
    assert "Traceback" not in r.stderr and out.is_file()


def test_a_pipe_a_device_or_a_dead_link_named_on_the_command_line_is_said_to_be_one(odd, tmp_path):
    # named, they were 找不到文件或目录 (validate, merge) or 未存入：找不到文件或目录 (archive add):
    # the name is there; it is a pipe, a device, a link to nothing, as a folder's scan says
    names = [str(odd[k]) for k in ("fifo", "zero", "dangling")]
    for argv in (["validate"], ["merge", "-o", str(tmp_path / "汇总.xlsx")]):
        r = run_xxgk([*argv, *names], preexec_fn=limits(cpu=120))
        assert r.returncode == 2 and "找不到" not in r.stderr, r.stderr
        assert f"{odd['fifo'].name}（不是普通文件（管道、设备等），未读取）" in r.stderr
        assert f"{odd['zero'].name}（不是普通文件（管道、设备等），未读取）" in r.stderr
        assert f"{odd['dangling'].name}（快捷方式（符号链接）指向的文件不存在，未读取）" in r.stderr
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    r = run_xxgk(
        ["archive", "add", "--db", str(tmp_path / "xxgk.db"), *names, str(tmp_path / SAMPLE.name)],
        preexec_fn=limits(cpu=120),
    )
    assert r.returncode == 1, r.stdout + r.stderr
    said = r.stdout + r.stderr
    assert "找不到" not in said and "存入 1，未变 0，未存入 3" in said
    assert f"未存入：{odd['fifo']}  不是普通文件（管道、设备等），未读取" in said


def test_a_file_past_the_size_bound_is_refused_unread(tmp_path):
    p = tmp_path / "大.xlsx"
    with open(p, "wb") as fh:  # sparse: 60 MB said, nothing on the disk
        fh.truncate(60 << 20)
    r = run_xxgk(["validate", str(p)], preexec_fn=limits(memory=256 << 20, cpu=60))
    assert r.returncode == 1 and "文件过大（60 MB）" in r.stdout, r.stdout + r.stderr
