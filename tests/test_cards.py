"""Card builders: which cards are made, and that keys never depend on the text of values."""

from __future__ import annotations

from collections import Counter

from cardgen.cards import MASK, build_cards, identify_reason, mask_subjects
from cardgen.model import Subject
from cardgen.source import parse_text

TABLE = """\
# Queues

| Feature | Alpha — the first | Beta | Tip |
|---|---|---|---|
| Ordering | Strict FIFO per group | Best effort | Alpha wins on order |
| Encrypted | YES | YES | |
| Retention | 14 days | 14 days | |
| Owner | Alpha | Run by the Beta team itself | |
"""


def _cards(text: str):
    doc, diags = parse_text(text, "t.md")
    assert not [d for d in diags if d.is_error]
    return build_cards(doc)


def test_kinds_and_counts() -> None:
    cards = _cards(TABLE)
    kinds = Counter(c.kind for c in cards)
    # 4 rows x 2 subjects forward; identify only where answerable; one compare per row
    assert kinds["forward"] == 8
    assert kinds["compare"] == 4
    identify = sorted(c.key for c in cards if c.kind == "identify")
    assert identify == [
        "t/ordering/alpha/identify",
        "t/ordering/beta/identify",
        "t/owner/beta/identify",
    ]


def test_identify_reasons() -> None:
    doc, _ = parse_text(TABLE, "t.md")
    comp = doc.comparisons[0]
    rows = {r.id: r for r in comp.rows}
    assert identify_reason(rows["encrypted"], 0, comp.subjects) == (
        "the value is a bare YES / NO / None"
    )
    assert identify_reason(rows["retention"], 0, comp.subjects) == (
        "another subject has the same value"
    )
    assert identify_reason(rows["owner"], 0, comp.subjects) == (
        "the value is little more than the subject's name"
    )
    assert identify_reason(rows["ordering"], 0, comp.subjects) == ""


def test_identify_prompt_masks_every_subject_name() -> None:
    cards = {c.key: c for c in _cards(TABLE)}
    prompt = cards["t/owner/beta/identify"].prompt
    assert "Beta" not in prompt and MASK in prompt
    subjects = [Subject("Cognito User Pools"), Subject("Identity Pools")]
    masked = mask_subjects("Accepts the User Pool JWT via identity pools", subjects)
    assert masked == f"Accepts the {MASK} JWT via {MASK}"


def test_keys_do_not_depend_on_values() -> None:
    before = [c.key for c in _cards(TABLE)]
    edited = TABLE.replace("Strict FIFO per group", "Exactly-once, strictly ordered")
    after = [c.key for c in _cards(edited)]
    assert before == after


def test_duplicate_titles_get_unique_keys() -> None:
    text = "# T\n\n## Traps\n\n- **A:** one **x**\n- **A:** two **y**\n- **A 2:** three **z**\n"
    keys = [c.key for c in _cards(text)]
    assert len(keys) == len(set(keys)) == 3
    assert "t/trap/a-2" in keys  # the trap titled "A 2" keeps its own key


def test_tags_have_no_spaces() -> None:
    text = "---\ntags: [my exam, aws cert]\n---\n" + TABLE
    for card in _cards(text):
        assert all(" " not in t for t in card.tags)
        assert {"cardgen", "my-exam", "aws-cert", card.kind} <= set(card.tags)


def test_subject_tag_is_its_explicit_id_so_a_rename_keeps_it() -> None:
    text = (
        "---\nid: t\n---\n\n# T\n\n| Feature | Amazon EventBridge {#eb} | SNS |\n|---|---|---|\n"
        "| Model | Event bus routing | Topic fan-out |\n\n## Decision tree\n\n"
        "- Need rules on event content? → Amazon EventBridge.\n"
    )
    renamed = text.replace("Amazon EventBridge", "EventBridge")
    tags = []
    for t in (text, renamed):
        doc, diags = parse_text(t, "t.md")
        assert doc is not None, diags
        tags.append(sorted({tg for c in build_cards(doc) if c.subject for tg in c.tags}))
    assert "eb" in tags[0] and tags[0] == tags[1]
    assert "sns" in tags[0]  # no {#id}: the name's slug


def test_texts_with_the_same_opening_get_keys_of_their_own_not_of_their_position() -> None:
    head = "Alpha and Beta both share the same opening words here"
    traps = [f"- {head}: **first fact** holds.", f"- {head}: **second fact** holds."]
    branches = (
        "- Does the question involve many services and many accounts at the same time?\n"
        "  - yes → Alpha.\n  - no → Beta.\n"
    )

    def keys(trap_lines: list[str]) -> dict[str, str]:
        text = (
            "# T\n\n## Decision tree\n\n" + branches + "\n## Exam traps\n\n" + "\n".join(trap_lines)
        )
        doc, diags = parse_text(text + "\n", "t.md")
        assert doc is not None, diags
        return {c.prompt: c.key for c in build_cards(doc)}

    before = keys(traps)
    assert len(set(before.values())) == len(before) == 4  # 2 traps, 2 branches
    assert keys(list(reversed(traps))) == before  # reordering moves no key
    # removing the first: the second may get a shorter key, but never the first one's (the
    # build then matches it to its old note by its unchanged content)
    first, second = (t[2:] for t in traps)
    assert keys(traps[1:])[second] != before[first]


def test_traps_with_the_same_title_and_scenarios_with_the_same_question_keep_their_keys() -> None:
    traps = [f"- **Gotcha:** Alpha **{x}** differs." for x in ("ZA1", "ZB1", "ZC1")]
    scenarios = ["- Which one? → Alpha, for ZS1.", "- Which one? → Beta, for ZS2."]

    def keys(trap_lines: list[str], scenario_lines: list[str]) -> dict[str, str]:
        text = (
            "# T\n\n## Decision tree\n\n"
            + "\n".join(scenario_lines)
            + "\n\n## Exam traps\n\n"
            + "\n".join(trap_lines)
            + "\n"
        )
        doc, diags = parse_text(text, "t.md")
        assert doc is not None, diags
        return {c.prompt + c.answer: c.key for c in build_cards(doc)}

    before = keys(traps, scenarios)
    assert len(set(before.values())) == 5
    assert keys([traps[2], traps[0], traps[1]], scenarios[::-1]) == before


def test_split_trap_keeps_blank_sentences_and_what_they_refer_to() -> None:
    from cardgen.cards import split_trap

    text = "Tokens are JWTs. A token cannot call S3. You MUST exchange **that token** first. Done."
    assert split_trap(text) == (
        "A token cannot call S3. You MUST exchange **that token** first.",
        "Tokens are JWTs. Done.",
    )
    assert split_trap("One **a**. Two. Three **b** ends.") == (
        "One **a**. Three **b** ends.",
        "Two.",
    )
    assert split_trap("No blank here. None.") == ("", "No blank here. None.")
