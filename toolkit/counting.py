"""Which of several different files of one agency's report counts: the one rule of ``xxgk merge``
(which file is summed) and of the archive (``xxgk archive add``: which version is current).

The files of one agency and year are compared by *content* (the cover's agency, code and year
and every input figure: the same report re-saved by another program is the same content):

1. one content (the same report more than once): it counts, once (:data:`SAME`);
2. the user chose (``merge --prefer FILE``, ``xxgk archive choose VERSION``) files of one
   content: that one counts (:data:`CHOSEN`);
3. exactly one content passes validation (a corrected resubmission beside its faulty original):
   it counts (:data:`PASSING`);
4. otherwise (two different reports that both pass, or none passing): none counts until the user
   chooses (:data:`UNDECIDED`): which of two valid reports is the agency's is not for the toolkit
   to guess, and the order files are read or added in (their names) says nothing about it.

``xxgk serve`` differs on purpose: there every upload comes through the agency's own link, one
after another, each shown to the agency and the coordinator, so a later upload that passes is the
agency's own replacement of its earlier one and counts — later by its newest upload: the same
bytes sent again are the newest (the coordinator may choose another or send one back:
:mod:`toolkit.season`). For the agency-years serve collects, the archive's current version is
serve's, read by its rule whenever the archive is read (:meth:`toolkit.store.Store.current`), so
``archive list``, ``trend`` and ``--archive`` never say otherwise than serve.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

__all__ = ["CHOSEN", "PASSING", "SAME", "UNDECIDED", "Verdict", "judge", "undecided_reason"]

SAME, CHOSEN, PASSING, UNDECIDED = "same", "chosen", "passing", "undecided"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What counts of a group: ``content`` (one of the contents given; None when ``how`` is
    :data:`UNDECIDED`), ``how`` it was decided, and how many of the different contents pass."""

    how: str
    content: Hashable | None
    contents: int
    passing: int


def judge(files: Iterable[tuple[Hashable, bool, bool]]) -> Verdict:
    """The rule over one agency's files, each ``(content, passes validation, chosen by the user)``."""
    contents: list[Hashable] = []
    passing: set[Hashable] = set()
    chosen: set[Hashable] = set()
    for content, ok, pick in files:
        if content not in contents:
            contents.append(content)
        if ok:
            passing.add(content)
        if pick:
            chosen.add(content)
    n, good = len(contents), len(passing)
    if n == 1:
        return Verdict(SAME, contents[0], n, good)
    if len(chosen) == 1:
        return Verdict(CHOSEN, next(iter(chosen)), n, good)
    if not chosen and good == 1:
        return Verdict(PASSING, next(iter(passing)), n, good)
    return Verdict(UNDECIDED, None, n, good)


def undecided_reason(files: int, passing: int) -> str:
    """Why none of ``files`` different files counts, in the words every output uses."""
    if not passing:
        return "均有错误"
    return "均通过校验" if passing == files else f"其中 {passing} 个通过校验"
