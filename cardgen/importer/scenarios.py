"""Decision-tree lines: `Question? → Answer.` sentences cut into scenario prompts and answers."""

from __future__ import annotations

import re

from cardgen.importer.state import ImportState
from cardgen.importer.words import clip

_ARROW = re.compile(r"\s*(?:→|->|⇒|=>)\s*")
_SENTENCE_END = re.compile(r"[.!]['\"’”)\]]*\s+(?=[\"'“‘(¿]?[A-Z0-9])")
_LIST_MARKER = re.compile(r"^(?:[-*+•▪►▶]|\d{1,3}[.)])\s+")


def scenarios(state: ImportState, no: int, s: str) -> list[tuple[str, str]]:
    """The `prompt → answer` pairs of a decision-tree line (line `no` of the page).

    Every `?` followed by an arrow starts an answer. An arrow without a `?` (`Session store
    -> Amazon ElastiCache`) after a sentence end in an answer is one more scenario, its
    prompt the sentence before it; an arrow in brackets (`(User Pool → Identity Pool)`)
    belongs to the answer; any other arrow in an answer is reported (`I009`).
    """
    s = _LIST_MARKER.sub("", s)
    return _pairs(state, no, s, _arrows(state, no, s))


def _arrows(state: ImportState, no: int, s: str) -> list[tuple[int, int]]:
    """(end of the prompt, start of the answer) of each arrow that starts an answer."""
    depth, level = 0, []
    for ch in s:
        level.append(depth)
        depth = max(0, depth + (ch in "([{") - (ch in ")]}"))
    arrows: list[tuple[int, int]] = []
    for m in _ARROW.finditer(s):
        before = s[: m.start()].rstrip()
        if before.endswith("?"):
            arrows.append((len(before), m.end()))
            continue
        if not arrows or level[m.start()] > 0:
            continue  # before the first question, or inside brackets: text
        window = s[arrows[-1][1] : m.start()]
        ends = list(_SENTENCE_END.finditer(window))
        cut = arrows[-1][1] + ends[-1].end() if ends else 0
        if ends and re.search(r"\w", s[cut : m.start()]) and re.search(r"\w", s[m.end() :]):
            arrows.append((len(before), m.end()))
        else:
            state.report(
                no,
                "I009",
                f"an arrow inside the answer after {clip(s[: arrows[-1][0] + 1])!r} "
                "does not follow a sentence end; kept in that answer (if it starts "
                "another scenario, put that on a line of its own)",
                m.start() + 1,
            )
    return arrows


def _pairs(
    state: ImportState, no: int, s: str, arrows: list[tuple[int, int]]
) -> list[tuple[str, str]]:
    """The prompts and answers between the arrows; an answer ends at the last sentence end
    before the next question."""
    out: list[tuple[str, str]] = []
    start = 0
    for i, (prompt_end, answer_start) in enumerate(arrows):
        prompt = s[start:prompt_end].strip()
        end = len(s)
        if i + 1 < len(arrows):
            nxt = arrows[i + 1][0]
            window = s[answer_start:nxt]
            ends = list(_SENTENCE_END.finditer(window))
            if ends:
                end = answer_start + ends[-1].end()
            else:
                state.report(
                    no,
                    "I009",
                    "could not find where the answer after "
                    f"{clip(prompt)!r} ends; the next question starts at its '?'",
                )
                cut = s.rfind(" ", answer_start, nxt)
                end = cut if cut > answer_start else nxt
        out.append((prompt, s[answer_start:end].strip()))
        start = end
    return out
