"""render: Markdown -> HTML that Anki shows as written (no template, cloze or media syntax)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardgen import render
from cardgen.markdown import bold_spans

from .conftest import fuzz_settings


def visible(out: str) -> str:
    """What a reader sees: tags dropped, character references decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", out))


def test_raw_html_is_escaped_and_ampersand_encoded() -> None:
    out = render.inline("<script>alert(1)</script> & <b>x</b>")
    assert "<script" not in out and "<b>" not in out
    assert "&amp;" in out
    assert visible(out) == "<script>alert(1)</script> & <b>x</b>"


@pytest.mark.parametrize(
    "text",
    [
        "{{Front}}",
        "{{c1::secret}}",
        "{{c1::a::hint}}",
        "a::b",
        "[sound:x.mp3]",
        "{{#Tags}}x{{/Tags}}",
    ],
)
def test_anki_syntax_is_inert(text: str) -> None:
    out = render.inline(f"before {text} after")
    assert "{" not in out and "}" not in out and "::" not in out and "[sound" not in out
    assert visible(out) == f"before {text} after"


def test_markdown_inline_is_rendered() -> None:
    out = render.inline("**bold** *em* `code <x>` [link](https://example.com)")
    assert "<strong>bold</strong>" in out and "<em>em</em>" in out
    assert "<code>code &lt;x&gt;</code>" in out
    assert 'href="https&#58;//example.com"' not in out  # a single colon stays
    assert 'href="https://example.com"' in out


def test_br_in_text_is_a_line_break_and_only_that_tag() -> None:
    out = render.inline("line one<br>line two<br/>three<BR />four <i>no</i>")
    assert out.count("<br>") == 3
    assert "<i>" not in out and "&lt;i&gt;" in out
    code = render.inline("`a<br>b`")
    assert "<br>" not in code and "a&lt;br&gt;b" in code


def test_br_in_a_block_table_cell() -> None:
    out = render.block("| a | b |\n|---|---|\n| x<br>y | z |")
    assert "<td>x<br>y</td>" in out


def test_math_becomes_mathjax_delimiters() -> None:
    assert render.inline("area $x_1^2 * y$ here") == r"area \(x_1^2 * y\) here"
    out = render.inline(r"$$\frac{a}{b}$$")
    assert out.startswith(r"\[") and out.endswith(r"\]")
    assert visible(out) == r"\[\frac{a}{b}\]"
    assert "{" not in out  # braces encoded: no template syntax, MathJax reads the decoded text
    assert visible(render.inline("$a<b$")) == r"\(a<b\)"


@pytest.mark.parametrize(
    "text",
    ["costs $5 to $10", "from $0.0055/MAU", r"an escaped \$x$ sign", "`$x$` in code", "$ x$"],
)
def test_dollars_that_are_not_math_stay_text(text: str) -> None:
    out = render.inline(text)
    assert r"\(" not in out and r"\[" not in out
    assert "$" in visible(out)


def marked(out: str, kind: str) -> list[str]:
    """The texts of a highlighted snippet set in the note type's colour for `kind` (`k`
    keyword, `s` string, `c` comment, `n` number), as the reader sees them."""
    found = re.findall(r'<span style="([^"]*)">(.*?)</span>', out, re.DOTALL)
    return [html.unescape(t) for style, t in found if f"var(--cg-{kind})" in style]


def test_code_block_is_left_aligned_and_highlighted() -> None:
    src = '```python\ndef f(x):  # note\n    return "s" + 1\n```'
    out = render.block(src)
    assert out.startswith('<pre class="cg-code" data-lang="python"><code>')
    assert out.endswith("</code></pre>")
    assert marked(out, "k") == ["def", "return"]
    assert marked(out, "c") == ["# note"]
    assert marked(out, "s") == ['"s"']
    assert marked(out, "n") == ["1"]
    assert visible(out) == 'def f(x):  # note\n    return "s" + 1'


def test_code_colours_are_the_note_types_css_variables() -> None:
    """Night mode works because no colour is written into a field: every style names one of
    the note type's CSS variables (anki.css gives each a day and a night value)."""
    out = render.highlight('import os  # c\nx = f"{os.sep}" if 0x1F else None', "python")
    styles = re.findall(r'style="([^"]*)"', out)
    assert styles
    for style in styles:
        colours = re.findall(r"color:\s*([^;]+)", style)
        assert colours and all(re.fullmatch(r"var\(--cg-[kscn]\)", c.strip()) for c in colours)
        assert "#" not in style and "rgb" not in style and "background" not in style
    assert "class=" not in out


def test_code_block_keeps_dollars_and_braces_as_written() -> None:
    out = render.block('```sh\necho "${HOME}" $PATH\n```')
    assert visible(out).strip() == 'echo "${HOME}" $PATH'
    assert "{" not in out and r"\(" not in out


def test_highlight_languages() -> None:
    sql = render.highlight("SELECT a FROM t -- all", "sql")
    assert marked(sql, "k") == ["SELECT", "FROM"] and marked(sql, "c") == ["-- all"]
    js = render.highlight("const x = 1; // one", "js")
    assert marked(js, "k") == ["const"] and marked(js, "c") == ["// one"]
    assert marked(js, "n") == ["1"]
    json_out = render.highlight('{"a": true, "b": "v"}', "json")
    assert "true" in marked(json_out, "k") and marked(json_out, "s") == ['"v"']
    yaml = render.highlight("key: 'value'  # why\n", "yaml")
    assert "'value'" in marked(yaml, "s") and marked(yaml, "c") == ["# why"]
    # the names a fence is written with: any alias Pygments knows, in any case
    for lang in ("Python", "py", "bash", "console", "yml", "ts", "c++", "csharp", "hcl", "tf"):
        assert render._lexer(lang) is not None, lang


@pytest.mark.parametrize("lang", ["", "text", "no-such-language", "python3x{{"])
def test_unknown_language_is_plain_escaped_text(lang: str) -> None:
    code = 'if x < 1 and y > "2": pass & return'
    out = render.highlight(code, lang)
    assert "<span" not in out
    assert out == html.escape(code, quote=False)
    block = render.block(f"```{lang}\n{code}\n```")
    assert visible(block) == code and "<span" not in block


@pytest.mark.parametrize("lang", ["html", "javascript", "python", "json", "nope"])
def test_code_cannot_inject_markup(lang: str) -> None:
    code = '<script>alert("x")</script><img src=x onerror=alert(1)> \' " & &amp;'
    out = render.block(f"```{lang}\n{code}\n```")
    assert "<script" not in out and "<img" not in out
    assert visible(out) == code
    tags = re.findall(r"<(/?\w+)", out)
    assert set(tags) <= {"pre", "/pre", "code", "/code", "span", "/span"}


def test_fence_language_cannot_break_out_of_its_attribute() -> None:
    out = render.block('```python"><script>x</script>\nprint(1)\n```')
    assert "<script" not in out
    head = out[: out.index("<code>")]
    assert head.startswith('<pre class="cg-code" data-lang="') and head.count('"') == 4
    assert visible(out) == "print(1)"


@fuzz_settings(150)
@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\ufeff")),
    st.sampled_from(["python", "json", "sh", "sql", "html", "yaml", "", "nope"]),
)
def test_property_highlighting_keeps_the_code_and_escapes_it(code: str, lang: str) -> None:
    out = render.highlight(code, lang)
    assert html.unescape(re.sub(r"<span[^>]*>|</span>", "", out)) == code
    assert "<" not in re.sub(r"<span[^>]*>|</span>", "", out)


def test_cloze_numbers_each_bold_span() -> None:
    out, n = render.cloze(
        "User Pools issue **JWT tokens**; Identity Pools issue **AWS credentials**."
    )
    assert n == 2
    assert (
        out == "User Pools issue {{c1::JWT tokens}}; Identity Pools issue {{c2::AWS credentials}}."
    )


def test_cloze_content_cannot_break_out() -> None:
    out, n = render.cloze("Use **AWS::S3 {{c9::x}} }} <b>&**, not __x__ **y:z**")
    assert n == 3
    deletions = re.findall(r"\{\{c(\d+)::(.*?)\}\}", out)
    assert [d[0] for d in deletions] == ["1", "2", "3"]
    first = deletions[0][1]
    assert ":" not in first and "{" not in first and "}" not in first
    assert html.unescape(first) == "AWS::S3 {{c9::x}} }} <b>&"
    assert deletions[2][1] == "y&#58;z"  # no `::` hint can form


def test_cloze_keeps_math_and_nested_emphasis() -> None:
    out, n = render.cloze("Know **$e = mc^2$ and *why*** by heart")
    assert n == 1
    assert out == r"Know {{c1::\(e = mc^2\) and <em>why</em>}} by heart"


def test_plain_text_and_table() -> None:
    assert render.text("A {{b}} <c>") == "A &#123;&#123;b&#125;&#125; &lt;c&gt;"
    out = render.table(["User Pools", "Identity Pools"], ["JWT & co", ""])
    assert out.startswith('<table class="cg-compare">')
    assert "<th>User Pools</th><th>Identity Pools</th>" in out
    assert '<td data-subject="User Pools">JWT &amp; co</td>' in out
    assert '<td data-subject="Identity Pools">—</td>' in out


def test_images_use_packed_names_or_fall_back_to_alt() -> None:
    out = render.inline("see ![diagram](img/a.png)", {"img/a.png": "cardgen-abc.png"})
    assert '<img src="cardgen-abc.png" alt="diagram"' in out
    assert render.inline("see ![diagram](img/b.png)") == "see diagram"


def test_control_characters_never_reach_a_field() -> None:
    out = render.inline("a\x1fb\x00c")
    assert "\x1f" not in out and "\x00" not in out


def test_front_matter_marker_in_a_block_is_not_swallowed() -> None:
    out = render.block("---\ntitle: x\n---\nbody")
    assert "body" in visible(out) and "title: x" in visible(out)


_pieces = st.sampled_from(
    [
        "**",
        "*",
        "`",
        "$",
        "{{",
        "}}",
        "::",
        "c1",
        "<br>",
        "<b>",
        "&",
        "[",
        "]",
        " ",
        "x",
        "AWS",
        "\\",
    ]
)


@fuzz_settings(300)
@given(st.lists(_pieces, max_size=30).map("".join))
def test_property_output_is_inert_and_clozes_match_the_parser(text: str) -> None:
    out = render.inline(text)
    assert "{" not in out and "}" not in out and "::" not in out
    cloze_out, n = render.cloze(text)
    assert n == len(bold_spans(text))
    assert len(re.findall(r"\{\{c\d+::", cloze_out)) == n
    assert "\x1f" not in cloze_out
