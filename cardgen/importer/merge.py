"""Re-importing a page onto a source the author has edited, without losing the edits.

Every import that writes a source keeps what it wrote (the *base*) beside it, in a dot-folder,
under a name the build never reads as a source (`sources/.cardgen-import/x.md.base`). A later
import of a newer page onto that source is a three-way merge, line by line: the author's edits
(base -> the source as it is now) and the page's changes (base -> the new import) are both
applied; where both changed the same lines differently, that is a conflict, and nothing is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher, unified_diff
from pathlib import Path

BASE_DIR = ".cardgen-import"


def base_path(source: Path) -> Path:
    """Where the last import of `source` is kept (never read by the build: not `.md`)."""
    return source.parent / BASE_DIR / f"{source.name}.base"


@dataclass(frozen=True)
class Conflict:
    """Lines both sides changed differently: 1-based lines of the source as it is now."""

    line: int
    yours: list[str]
    page: list[str]


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """The changes from `base` to `other`: (start, end) in base and the lines put there."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _apply(base: list[str], lo: int, hi: int, hunks: list[tuple[int, int, list[str]]]) -> list[str]:
    """`base[lo:hi]` with the hunks (all inside it) applied."""
    out: list[str] = []
    pos = lo
    for i1, i2, new in hunks:
        out += base[pos:i1] + new
        pos = i2
    return out + base[pos:hi]


def merge3(base: str, yours: str, page: str) -> tuple[str, list[Conflict]]:
    """The author's source with the page's changes since `base` applied, and the conflicts."""
    b, y, p = base.splitlines(True), yours.splitlines(True), page.splitlines(True)
    changes = sorted(
        [(i1, i2, new, 0) for i1, i2, new in _hunks(b, y)]
        + [(i1, i2, new, 1) for i1, i2, new in _hunks(b, p)],
        key=lambda h: (h[0], h[1]),
    )
    out: list[str] = []
    conflicts: list[Conflict] = []
    pos = 0
    k = 0
    while k < len(changes):
        lo, hi = changes[k][0], changes[k][1]
        group = [changes[k]]
        k += 1
        # changes that touch the same base lines (or insert at the same place) go together
        while k < len(changes) and (
            changes[k][0] < hi or (changes[k][0] == hi == changes[k][1] == lo)
        ):
            hi = max(hi, changes[k][1])
            group.append(changes[k])
            k += 1
        out += b[pos:lo]
        sides = [[(i1, i2, new) for i1, i2, new, s in group if s == side] for side in (0, 1)]
        mine, theirs = (_apply(b, lo, hi, hs) if hs else b[lo:hi] for hs in sides)
        if not sides[1] or mine == theirs:
            out += mine
        elif not sides[0]:
            out += theirs
        else:
            conflicts.append(Conflict(len(out) + 1, mine, theirs))
            out += mine
        pos = hi
    out += b[pos:]
    return "".join(out), conflicts


def edits_diff(base: str, yours: str, name: str) -> str:
    """The author's edits since the last import, as a unified diff."""
    return "".join(
        unified_diff(
            base.splitlines(True),
            yours.splitlines(True),
            f"{name} (last import)",
            f"{name} (as edited)",
        )
    )
