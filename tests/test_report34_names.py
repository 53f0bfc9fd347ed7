"""An old archive's 操作记录 (entries logged before serve kept the names of their time) names each
entry's region and agency as they were then, from the log's own rename entries (地区“旧”更名为“新”,
原名称“旧”). A name holding ” (a Chinese closing quote, as in 东湖”新城”区) was recovered cut at its
first ” (hostile32's leftover): it is recovered whole. Real archive, real roster files."""

from __future__ import annotations

from tests.test_regions import _setup_city
from tests.test_serve_season32 import YEAR, _as_before
from toolkit import regions, season
from toolkit.roster import read_roster
from toolkit.store import WebStore
from toolkit.web.security import Keys

QUOTED_REGION = "东湖“新城”区"  # the region's name when the entry was made: holds ” (and “)
QUOTED_AGENCY = "东湖“新城”区司法局"
ODD_REGION = "东湖”更名为“西湖区"  # even the words of the rename entry inside a name


def _register(db, path) -> None:
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(path).entries, Keys.for_db(db).fresh_token)


def _names_then(db, note: str):
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        events = st.web_events(YEAR)
        (e,) = regions.with_names_then(st, t, [x for x in events if x.note == note])
    return e


def _city_named(tmp_path, region: str, agency: str | None = None):
    db, _codes, _by_name = _setup_city(tmp_path)
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    then = text.replace("示例市/东湖区", f"示例市/{region}")
    if agency:
        then = then.replace("东湖区司法局", agency)
    (tmp_path / "then.csv").write_text(then, encoding="utf-8")
    (tmp_path / "now.csv").write_text(text.replace("示例市/东湖区", "示例市/东湖西区"), encoding="utf-8")
    _register(db, tmp_path / "then.csv")  # 东湖区 renamed to the quoted name (same agencies)
    with WebStore(db) as st:
        wa = next(a for a in st.web_agencies(YEAR) if a.name == (agency or "东湖区司法局"))
        season.return_version(st, wa, season.state(st, wa).current.id, "那时退回", actor="admin")
    _as_before(db)  # the entry without the names of its time, as serve logged it before
    _register(db, tmp_path / "now.csv")  # renamed again: today's name is another one
    return db


def test_a_region_name_with_a_closing_quote_is_recovered_whole(tmp_path):
    db = _city_named(tmp_path, QUOTED_REGION, QUOTED_AGENCY)
    e = _names_then(db, "那时退回")
    assert e.region_name == QUOTED_REGION, e
    assert e.agency_name == QUOTED_AGENCY, e  # the agency was renamed back: 原名称“东湖“新城”区司法局”


def test_a_region_name_holding_the_rename_words_is_recovered_whole(tmp_path):
    db = _city_named(tmp_path, ODD_REGION)
    assert _names_then(db, "那时退回").region_name == ODD_REGION
