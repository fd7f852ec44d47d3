"""Issue 14, point 2: the note types' CSS read as a learner's eyes would. Every text colour has a
contrast of at least 4.5:1 (WCAG AA) on each background the reviewers paint (white; #2c2c2c on
Anki desktop at night; black on phones at night), with and without the translucent fill of tips,
table headers and code; the fill itself shows on all three. Computed from `anki.css` itself."""

from __future__ import annotations

import re

import pytest

from cardgen.writers.apkg import css
from cardgen.writers.apkg.pack import _model

TEXT = ("fg", "muted", "accent", "cloze", "k", "s", "c", "n")
BACKGROUNDS = {"light": ("#ffffff",), "night": ("#2c2c2c", "#000000")}


def _block(selector_start: str) -> dict[str, str]:
    text = css()
    start = text.index(selector_start)
    body = text[text.index("{", start) + 1 : text.index("}", start)]
    return dict(re.findall(r"--cg-([\w-]+):\s*([^;]+);", body))


def _variables(mode: str) -> dict[str, str]:
    light = _block(".card {")
    return light if mode == "light" else {**light, **_block(".card.nightMode")}


def _rgba(value: str) -> tuple[float, float, float, float]:
    value = value.strip()
    if value.startswith("#"):
        h = value[1:]
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0)
    m = re.fullmatch(r"rgba\(\s*(\d+),\s*(\d+),\s*(\d+),\s*([\d.]+)\s*\)", value)
    assert m, value
    return (float(m[1]), float(m[2]), float(m[3]), float(m[4]))


def _over(top: str, bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, a = _rgba(top)
    return (r * a + bottom[0] * (1 - a), g * a + bottom[1] * (1 - a), b * a + bottom[2] * (1 - a))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _solid(hex_: str) -> tuple[float, float, float]:
    r, g, b, _ = _rgba(hex_)
    return (r, g, b)


@pytest.mark.parametrize("mode", ["light", "night"])
def test_every_text_colour_reads_on_every_background_with_and_without_the_fill(mode: str) -> None:
    v = _variables(mode)
    worst = []
    for bg in BACKGROUNDS[mode]:
        base = _solid(bg)
        for ground in (base, _over(v["fill"], base)):
            for name in TEXT:
                ratio = contrast(_over(v[name], ground), ground)
                worst.append((round(ratio, 2), name, bg))
    assert min(worst)[0] >= 4.5, sorted(worst)[:3]


@pytest.mark.parametrize("mode", ["light", "night"])
def test_the_fill_and_rules_show_on_every_background(mode: str) -> None:
    v = _variables(mode)
    for bg in BACKGROUNDS[mode]:
        base = _solid(bg)
        assert _rgba(v["fill"])[3] < 1, "the fill is translucent"
        assert contrast(_over(v["fill"], base), base) >= 1.1, (bg, v["fill"])
        assert contrast(_over(v["rule"], base), base) >= 1.4, (bg, v["rule"])


def test_the_card_paints_no_background_of_its_own() -> None:
    """The reviewer's background shows through (a card colour would hide `body.nightMode`)."""
    assert re.search(r"\.card \{[^}]*background-color: transparent;", css())
    assert "--cg-bg" not in css()


def test_answer_outweighs_the_question_and_the_tip_is_labelled_and_secondary() -> None:
    text = css()

    def rule(selector: str) -> dict[str, str]:
        m = re.search(re.escape(selector) + r" \{([^}]*)\}", text)
        assert m, selector
        return dict(re.findall(r"([\w-]+):\s*([^;]+);", m[1]))

    prompt, answer, extra = rule(".cg-prompt"), rule(".cg-answer"), rule(".cg-extra")
    em = lambda d: float(d["font-size"].removesuffix("em"))  # noqa: E731
    assert em(answer) > em(prompt) > em(extra)
    assert int(answer["font-weight"]) > int(prompt["font-weight"])
    qa = _model("qa", text).templates[0]
    assert qa["afmt"].startswith("{{FrontSide}}\n\n<hr id=answer>")
    assert "Exam tip" in qa["afmt"] and "{{Source}}" not in qa["qfmt"]
    assert qa["afmt"].index("{{Extra}}") < qa["afmt"].index("{{Source}}")
