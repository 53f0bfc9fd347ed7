"""LibreOffice headless as the real spreadsheet application in tests.

``recalc_and_save`` opens workbooks in soffice with a private profile whose settings force a full
recalculation on load (by default LibreOffice keeps the cached results in an .xlsx), and saves
them again as .xlsx: what a user gets after opening and saving in a real application.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
BATCH = 150  # files per soffice call: reliable, and amortises the start-up


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(
    files: list[Path], outdir: Path, to: str = "xlsx", recalc: bool = True, timeout: int = 300
) -> list[Path]:
    """Convert ``files`` with soffice into ``outdir``; returns the output paths, in order."""
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("soffice not found")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xxgk-lo-") as prof:
        user = Path(prof) / "user"
        user.mkdir()
        if recalc:
            (user / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        env = {**os.environ, "HOME": prof}
        for i in range(0, len(files), BATCH):
            chunk = files[i : i + BATCH]
            subprocess.run(
                [
                    exe,
                    f"-env:UserInstallation={Path(prof).as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    to,
                    "--outdir",
                    str(outdir),
                    *map(str, chunk),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
                env=env,
            )
    ext = to.split(":")[0]
    outs = [outdir / (f.stem + "." + ext) for f in files]
    missing = [o for o in outs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing[:3]}")
    return outs


def recalc_and_save(files: list[Path], outdir: Path) -> list[Path]:
    return convert(files, outdir, "xlsx", recalc=True)
