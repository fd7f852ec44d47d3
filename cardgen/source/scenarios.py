"""Lists -> scenarios: an item `prompt → answer` is a scenario, and a nested list is a decision
tree whose items carry the text above them into their prompt. In a trap section each item is a
trap instead. Also the scenarios' last step: P111 for a missing side, and the link from an answer
to the subject it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markdown_it.token import Token

from cardgen.diagnostics import diag
from cardgen.model import Scenario, Subject
from cardgen.source.state import ParseState, Section, block_end
from cardgen.source.traps import add_trap
from cardgen.text import one_line, slugify

_LIST_OPENS = ("bullet_list_open", "ordered_list_open")


def split_arrow(text: str) -> tuple[str, str] | None:
    """`prompt → answer` (or `->`) split at the first arrow outside code spans; None if none.

    Linear in the length of the text (no backtracking on backtick runs)."""
    n = len(text)
    no_close_from: dict[int, int] = {}  # backtick run length -> position with no closer after
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            j = i
            while j < n and text[j] == "`":
                j += 1
            close = _closing_backticks(text, j, j - i, no_close_from)
            i = close if close >= 0 else j
            continue
        if ch == "→":
            return text[:i].strip(), text[i + 1 :].strip()
        if ch == "-" and i + 1 < n and text[i + 1] == ">":
            return text[:i].strip(), text[i + 2 :].strip()
        i += 1
    return None


def _closing_backticks(text: str, start: int, run: int, no_close_from: dict[int, int]) -> int:
    """Index just past the backtick run of exactly `run` ticks that closes a code span, or -1."""
    if run in no_close_from and start >= no_close_from[run]:
        return -1
    ticks = "`" * run
    k = text.find(ticks, start)
    while k != -1:
        end = k + run
        if (end >= len(text) or text[end] != "`") and text[k - 1] != "`":
            return end
        while end < len(text) and text[end] == "`":
            end += 1
        k = text.find(ticks, end)
    no_close_from[run] = start
    return -1


def read_list(
    st: ParseState, section: Section, block: list[Token], context: str, out: list[str]
) -> int:
    """Traps or scenarios from one list; returns how many scenarios it gave.

    In a trap section every item (with whatever it nests) is one trap. Elsewhere an item whose
    own text has an arrow is a scenario; nested items are read the same way, with the text of
    the items above them as the start of their prompt (a decision tree written as a nested list).
    Items that give no scenario are kept, as written, in `out` (the section's note).
    """
    found = 0
    for item in _list_items(block):
        item_open = item[0]
        if section.kind == "trap":
            inlines = [t.content.strip() for t in item if t.type == "inline"]
            add_trap(st, "\n\n".join(t for t in inlines if t), st.loc(item_open))
            continue
        own_level = item_open.level + 2
        own = "\n\n".join(
            t.content.strip()
            for t in item
            if t.type == "inline" and t.level == own_level and t.content.strip()
        )
        split = split_arrow(one_line(own))
        mine: list[str] = []
        if split is not None:
            prompt, answer = split
            prompt = f"{context} {prompt}".strip() if prompt else ""
            st.scenarios.append((prompt, answer, st.loc(item_open)))
            nested_context = prompt
        else:
            nested_context = f"{context} {one_line(own)}".strip()
        nested = _nested_lists(st, section, item, nested_context, mine)
        if split is None and not nested:
            out.append(st.raw(item_open.map))
        else:
            out.extend(mine)
        found += nested + (split is not None)
    return found


def _nested_lists(
    st: ParseState, section: Section, item: list[Token], context: str, out: list[str]
) -> int:
    """Read the lists directly inside one list item; how many scenarios they gave."""
    level = item[0].level + 1
    nested = 0
    j = 1
    while j < len(item):
        t = item[j]
        if t.type in _LIST_OPENS and t.level == level:
            k = block_end(item, j)
            nested += read_list(st, section, item[j:k], context, out)
            j = k
        else:
            j += 1
    return nested


def _list_items(block: list[Token]) -> Iterable[list[Token]]:
    base = block[0].level + 1
    j = 1
    while j < len(block):
        t = block[j]
        if t.type == "list_item_open" and t.level == base:
            k = block_end(block, j)
            yield block[j:k]
            j = k
        else:
            j += 1


def finish_scenarios(st: ParseState, subjects: Sequence[Subject]) -> list[Scenario]:
    """The scenarios read, each linked to the subject its answer names; P111 for those with
    nothing on one side of the arrow (they are dropped)."""
    scenarios: list[Scenario] = []
    for prompt, answer, loc in st.scenarios:
        if not prompt or not answer:
            st.diags.append(diag(loc, "P111", "scenario needs text on both sides of the arrow"))
            continue
        scenarios.append(Scenario(prompt, answer, link_subject(answer, subjects), loc))
    return scenarios


def link_subject(answer: str, subjects: Sequence[Subject]) -> str:
    """The subject whose name the answer starts with (the longest), else the one whose explicit
    `{#id}` it starts with (`→ SNS, …` for `Amazon SNS {#sns}`); "" when none."""
    plain = answer.lstrip("*_` ").lower()
    for s in sorted(subjects, key=lambda s: len(s.name), reverse=True):
        name = s.name.lower()
        if plain.startswith(name):
            after = plain[len(name) : len(name) + 1]
            if not after or not after.isalnum():
                return s.name
    words = slugify(plain)
    for s in sorted(subjects, key=lambda s: len(s.id), reverse=True):
        if s.id and s.id != slugify(s.name) and (words + "-").startswith(s.id + "-"):
            return s.name
    return ""
