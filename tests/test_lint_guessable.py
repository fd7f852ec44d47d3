"""L110 (issue 14, point 4): a cloze that hides a subject's name while its own sentence names the
other subject as its contrast can be answered by elimination."""

from __future__ import annotations

import re

from cardgen.cards import build_cards
from cardgen.lint import lint
from cardgen.source import parse_text

from .conftest import COGNITO, ROOT

FRONT = "---\nsource: Test notes · 2026\n---\n\n# Title\n\n"
TABLE = (
    "| Feature | Cognito User Pools | Identity Pools |\n|---|---|---|\n"
    "| Output | JWT tokens for signed-in users | Temporary AWS credentials from STS |\n\n"
)


def codes(text: str) -> list[str]:
    doc, diags = parse_text(text, "t.md")
    assert not [d for d in diags if d.is_error]
    return [d.code for d in lint(doc, build_cards(doc), ())]


def trap(line: str, subjects: str = TABLE) -> str:
    return FRONT + subjects + "## Exam traps\n\n- " + line + "\n"


def test_l110_the_other_subject_named_as_the_contrast() -> None:
    assert "L110" in codes(trap("Lambda triggers are ONLY on **User Pools**, not Identity Pools."))
    assert "L110" in codes(trap("Use **Identity Pools** instead of a User Pool here."))


def test_l110_every_other_subject_named_gives_the_blank_away() -> None:
    assert "L110" in codes(trap("Identity Pools broker credentials; **User Pools** sign users in."))


def test_l110_quiet_when_the_blank_is_not_a_name_or_the_contrast_is_elsewhere() -> None:
    assert "L110" not in codes(trap("User Pools run **Lambda triggers**; Identity Pools none."))
    assert "L110" not in codes(trap("Guests need **Identity Pools**. User Pools sign users in."))
    three = (
        TABLE.replace("| Identity Pools |", "| Identity Pools | IAM |")
        .replace("|---|---|---|", "|---|---|---|---|")
        .replace("from STS |", "from STS | Roles and policies for calls |")
    )
    # three subjects: naming one other leaves two candidates, and there is no contrast word
    assert "L110" not in codes(trap("Identity Pools broker; **User Pools** sign in.", three))


def test_l110_docs_examples() -> None:
    text = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    section = text[text.index("## L110") : text.index("## The Cognito source")]
    bad, good = re.findall(r"```md (?:bad|good)\n(.*?)```", section, re.S)
    assert "L110" in codes(bad)
    assert "L110" not in codes(good)


def test_the_cognito_source_silences_its_two_findings_with_reasons() -> None:
    text = COGNITO.read_text(encoding="utf-8")
    bare = re.sub(r"\n    - L110:[^\n]*", "", text)
    assert bare.count("\n") == text.count("\n") - 2
    assert [d.code for d in _lint(text) if d.code in ("L100", "L110")] == []
    found = [d for d in _lint(bare) if d.code == "L110"]
    assert [d.loc.line for d in found] == [
        i + 1 for i, line in enumerate(bare.split("\n")) if "**User Pools**, not" in line
    ] + [i + 1 for i, line in enumerate(bare.split("\n")) if "**PRICING GOTCHA:**" in line]


def _lint(text: str):
    doc, _ = parse_text(text, "c.md")
    return lint(doc, build_cards(doc), ())
