"""LibreOffice headless as the real spreadsheet application in tests.

``recalc_and_save`` opens workbooks in soffice with a private profile whose settings force a full
recalculation on load (by default LibreOffice keeps the cached results in an .xlsx), and saves
them again as .xlsx: what a user gets after opening and saving in a real application. ``convert``
is the one place every test calls soffice through: small batches, a wait that scales with
progress, the profile removed and no soffice left running afterwards, also on failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
BATCH = 25  # files per soffice call: start-up amortised, and a call that fails costs little
STALL = 300.0  # seconds without a new output file before a call is given up (not a total limit)
POLL = 1.0


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(
    files: list[Path], outdir: Path, to: str = "xlsx", recalc: bool = True, infilter: str | None = None
) -> list[Path]:
    """Convert ``files`` with soffice into ``outdir``; returns the output paths, in order.

    soffice runs on ``BATCH`` files at a time with a private profile, in a process group of its
    own. There is no fixed time limit (a loaded machine makes soffice slow, not wrong): a call is
    given up only when ``STALL`` seconds pass without a new output file. Whatever happens, the
    whole group (soffice.bin is a grandchild) is killed and the profile removed. ``infilter``:
    the import filter to open the files with (``HTML (StarCalc)``: a web page opened in Calc)."""
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("soffice not found")
    outdir.mkdir(parents=True, exist_ok=True)
    ext = to.split(":")[0]
    prof = Path(tempfile.mkdtemp(prefix="xxgk-lo-"))
    try:
        user = prof / "user"
        user.mkdir()
        if recalc:
            (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        env = {**os.environ, "HOME": str(prof)}
        for i in range(0, len(files), BATCH):
            _run(exe, prof, files[i : i + BATCH], outdir, to, ext, env, infilter)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    outs = [outdir / (f.stem + "." + ext) for f in files]
    missing = [o for o in outs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing[:3]}")
    return outs


def _run(
    exe: str, prof: Path, chunk: list[Path], outdir: Path, to: str, ext: str, env: dict, infilter: str | None
) -> None:
    expected = [outdir / (f.stem + "." + ext) for f in chunk]
    log = prof / "soffice.log"
    args = [
        exe,
        f"-env:UserInstallation={prof.as_uri()}",
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        to,
        "--outdir",
        str(outdir),
        *map(str, chunk),
    ]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        done, last = 0, time.monotonic()
        while True:
            try:
                rc = proc.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                n = sum(1 for o in expected if o.exists())
                if n > done:
                    done, last = n, time.monotonic()
                elif time.monotonic() - last > STALL:
                    raise RuntimeError(
                        f"soffice wrote no new file for {STALL:.0f} s ({done} of {len(chunk)} done)"
                    ) from None
    finally:
        _kill_group(proc)
    if rc != 0:
        tail = log.read_bytes()[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"soffice exited with {rc}: {tail}")


def _kill_group(proc: subprocess.Popen) -> None:
    """The soffice wrapper, oosplash and soffice.bin: all of them, also when the wrapper is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def recalc_and_save(files: list[Path], outdir: Path) -> list[Path]:
    return convert(files, outdir, "xlsx", recalc=True)


def chromium_print(chromium: str, page: Path, pdf: Path) -> Path:
    """``page`` (HTML) printed to ``pdf`` by headless Chromium as a person prints it, without the
    browser's own header and footer (a profile of its own beside the PDF)."""
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={pdf.parent / (pdf.stem + '-profile')}", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    return pdf
