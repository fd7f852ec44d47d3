"""The pasted page as lines, and what on a line marks it as page residue.

Decoding the page's bytes (`decode_page`), cleaning its text (control characters, tabs outside
a tab-separated table) and telling, line by line, the page's own furniture from its content:
loading indicators, breadcrumbs, menus, share bars, cookie banners, newsletter forms, tags,
bookkeeping (`12 min read`, `Updated 3 days ago`), links to the next page and footer lines.
Which residue a line is may also depend on where it stands; `lines` decides that.
"""

from __future__ import annotations

import re

from cardgen.diagnostics import Diagnostic, diag
from cardgen.importer.tips import tip_line
from cardgen.importer.words import QARROW, phrases, strip_emoji, word_count, wordset
from cardgen.model import Loc
from cardgen.source import looks_utf16, normalise_text

MAX_PAGE_BYTES = 4 * 1024 * 1024

LOADING_WORDS = wordset(
    """loading cargando chargement carregando caricamento laden ładowanie загрузка
    yükleniyor betöltés načítání lädt φόρτωση 読み込み中 加载中 載入中 로딩"""
)
MENU_LINES = phrases(
    """skip to content|skip to main content|menu|open menu|close menu|toggle navigation|
    home|sign in|log in|login|sign up|register|search|share|print|back|next|previous|close|
    back to top|privacy|privacy policy|terms|terms of use|terms of service|cookies|
    cookie policy|cookie settings|contact|contact us|about|about us|help|faq|sitemap|
    was this page helpful?|was this helpful?|yes|no|subscribe|newsletter"""
)
FOOTER_PATTERN = re.compile(
    r"^(©|\(c\)\s|copyright\b)|all rights reserved|todos los derechos|tous droits|"
    r"^(?:was|is|did you find) this (?:\w+ )?(?:helpful|useful)\b|^powered by\b",
    re.IGNORECASE,
)
# A cookie banner: a line naming cookies that says the site uses them or names its cookie
# policy (`We use cookies … Accept all | Reject`, `🍪 This site uses cookies. … Got it!`), or a
# consent button (`Accept cookies`, `Reject all cookies`), or that ends with one (`… OK`); up to
# 40 words, so that a paragraph about HTTP cookies is no banner.
_COOKIE_WORD = re.compile(r"\bcookies?\b", re.IGNORECASE)
_COOKIE_BANNER = re.compile(
    r"\b(?:we|this (?:site|website|page))\s+uses?\s+cookies\b|"
    r"\bcookie (?:policy|settings|preferences|notice)\b|"
    r"^(?:accept|reject|decline|allow|refuse)(?: all| only)?(?: \w+)? cookies$|"
    r"(?:accept all|reject all|got it|ok(?:ay)?|i agree|agree|manage (?:preferences|settings|"
    r"cookies|choices))[!.]?$",
    re.IGNORECASE,
)
# A newsletter sign-up form (`Subscribe to our newsletter`, `Enter your email`).
_NEWSLETTER = re.compile(
    r"^(?:subscribe|sign up|join)\b.*\bnewsletter\b|^(?:get|receive) our newsletter\b|"
    r"^enter your e-?mail(?: address)?\b|^your e-?mail(?: address)?$",
    re.IGNORECASE,
)
# Share buttons side by side (`Share on Twitter · Share on LinkedIn · Copy link`).
_SHARE_ENTRY = re.compile(
    r"^(?:share(?: on \S+(?: \S+)?)?|tweet|email|e-mail|copy link|copy url|print)$"
)
# Tags of a blog post (`Tags: kubernetes, ckad, networking`, `Filed under: AWS`): a label, then
# a list of short items (up to three words each), no sentence.
_TAGS_LINE = re.compile(
    r"^(?:tags?|tagged|categories|category|filed under|topics?)\s*:\s*"
    r"[^\s,.!?]+(?: [^\s,.!?]+){0,2}(?:,\s*[^\s,.!?]+(?: [^\s,.!?]+){0,2})*$",
    re.IGNORECASE,
)
# The heading of a block of links to other posts at the end of a page (`Related posts`).
RELATED = re.compile(
    r"^(?:related(?: posts?| articles?| reading| content| guides?| pages?)?|"
    r"you (?:may|might) also (?:like|enjoy)|more (?:posts|articles|guides) "
    r"(?:like this|from \S+.*)|more (?:posts|articles|guides)|popular (?:posts|articles)|"
    r"recommended (?:reading|posts|articles|for you)|read more|keep reading)$",
    re.IGNORECASE,
)
# A page's own bookkeeping: reading time, a relative date (`Updated 3 days ago · 12 min read`),
# an update without a year (`Updated yesterday`), a blog category (`Posted in Kubernetes`), a
# comment count (`7 comments`).
_PAGE_META = re.compile(
    r"^(?:(?:last )?(?:updated|published|posted|edited)\s+)?(?:\d+|an?|one)\s+"
    r"(?:second|minute|hour|day|week|month|year)s?\s+ago$|^\d+\s*(?:min|mins|minutes?)\s+read$|"
    r"^(?:last )?(?:updated|edited|modified)(?!.*(?<!\d)(?:19|20)\d\d(?!\d))(?:\s+\S+){0,3}$|"
    r"^posted (?:in|under)(?:\s+\S+){1,4}$|"
    r"^(?:\d[\d,]*|no|one)\s+(?:comments?|replies|responses|views|likes|reactions)$",
    re.IGNORECASE,
)
# A link to the next or previous page (`Next: Conditional Access vs Identity Protection →`,
# `← Previous`, `Read next › …`): a navigation word with a colon or an arrow, or an arrow first;
# no sentence, whatever the length of the linked page's title.
_NAV_LINK = re.compile(
    r"^(?:(?:up next|read next|next|previous|prev|next article|previous article|older|newer|"
    r"continue reading|back to)\b\s*(?::|→|»|›|->|>|\s.*(?:→|»|›|->|>)$)|[←«‹]|<-)",
    re.IGNORECASE,
)
# lines a page puts inside a table that are not the table's: ads, "continue reading"
CLUTTER = re.compile(
    r"^(?:advertisement|advertisements|ad|ads|sponsored|sponsored content|promoted|"
    r"(?:story|article|content) continues below|continue reading below|scroll to continue|"
    r"scroll down to continue|keep reading below)$",
    re.IGNORECASE,
)


# A byline: who wrote or reviewed the page (`By Priya Raman`, `Medically reviewed by Dr. Alan
# Cho, MD · 6 min read`, `Written by Dana Whitfield | Reviewed by Marco Ruiz | Updated March
# 2026`): every part a byline, bookkeeping or a dated update; no exam code, so no attribution.
_BYLINE = re.compile(
    r"^(?:(?:medically |expert |peer |fact[- ]?|last )?(?:reviewed|written|checked|edited|"
    r"authored|updated|fact[- ]checked)\s+)?by\s+\S.{0,60}$",
    re.IGNORECASE,
)
_DATED = re.compile(
    r"^(?:(?:last )?(?:updated|published|posted|reviewed|edited)(?: on)?\s+)"
    r"(?:\S+\s+){0,2}(?:19|20)\d\d$",
    re.IGNORECASE,
)
_EXAM_CODE = re.compile(r"\b[A-Z]{2,5}-?[A-Z]?\d{2,4}\b")


def is_byline(s: str) -> bool:
    """Whether a line says who wrote or reviewed the page, and maybe when (no exam code)."""
    parts = [p.strip() for p in re.split(r"\s+[·•|]\s+", s.strip())]
    if _EXAM_CODE.search(s) or not any(_BYLINE.match(p) for p in parts):
        return False
    return all(_BYLINE.match(p) or _PAGE_META.match(p) or _DATED.match(p) for p in parts)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def decode_page(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes of a pasted page -> text (BOM dropped, line ends normalised), or an I010 error."""
    loc = Loc(path, 1, 1)
    if len(data) > MAX_PAGE_BYTES:
        return None, [
            diag(loc, "I010", f"page is {len(data):,} bytes; the limit is {MAX_PAGE_BYTES:,}")
        ]
    if b"\x00" in data:
        if looks_utf16(data):
            return None, [diag(loc, "I010", "page is UTF-16 text; save it as UTF-8")]
        return None, [diag(loc, "I010", "page looks binary (contains NUL bytes)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [diag(Loc(path, line, 1), "I010", "page is not valid UTF-8 text")]
    return normalise_text(text), []


def clean(text: str) -> str:
    """Normalised line ends; control characters and lone surrogates (never content) removed."""
    return _CONTROL.sub("", normalise_text(text))


def page_lines(text: str) -> list[str]:
    """The cleaned page's lines, tabs turned into spaces except in a tab-separated table (what
    a browser gives for a copied HTML table): a line of three cells or more between tabs with a
    line of as many cells under it, and the lines with tabs that follow (its rows)."""
    lines = text.split("\n")
    keep: set[int] = set()
    i = 0
    while i < len(lines):
        n = len(lines[i].split("\t"))
        cells = [c.strip() for c in lines[i].split("\t")]
        if (
            n >= 3
            and i + 1 < len(lines)
            and len(lines[i + 1].split("\t")) == n
            and sum(1 for c in cells if c) >= 2
            and not residue_kind(" | ".join(cells))
        ):
            j = i
            while j < len(lines) and "\t" in lines[j] and lines[j].strip():
                keep.add(j)
                j += 1
                # a tip line or an ad between rows: the rows after it are the table's too
                gap = j
                while gap < len(lines) and gap - j < 3 and _between_rows(lines[gap]):
                    gap += 1
                if gap > j and gap < len(lines) and "\t" in lines[gap]:
                    j = gap
            i = j
            continue
        i += 1
    return [s if no in keep else s.replace("\t", " ") for no, s in enumerate(lines)]


def _between_rows(s: str) -> bool:
    """A line that may stand between a table's rows: a tip line, or an ad."""
    return (
        "\t" not in s
        and bool(s.strip())
        and (tip_line(s) is not None or bool(CLUTTER.match(s.strip())))
    )


def residue_kind(s: str) -> str:
    """Why a line is page residue ("" when it is not)."""
    if _is_loading(s):
        return "loading indicator"
    if _is_breadcrumb(s):
        return "breadcrumb"
    low = s.strip().lower()
    if FOOTER_PATTERN.search(s.strip()):
        return "footer"
    if _COOKIE_WORD.search(s) and _COOKIE_BANNER.search(s.strip()) and word_count(s) <= 40:
        return "cookie banner"
    if _NEWSLETTER.search(s.strip()) and word_count(s) <= 8:
        return "newsletter form"
    if _TAGS_LINE.match(s.strip()):
        return "tags"
    # a menu word, maybe with its icon (`☰ Menu`)
    bare = strip_emoji(low)
    if any(x in MENU_LINES for x in (low, low.rstrip(" ›»>"), bare, bare.rstrip(" ›»>"))):
        return "navigation"
    # menu entries or share buttons side by side (`Privacy · Terms · Contact`)
    entries = re.split(r"\s+[·•|]\s+", bare)
    if len(entries) >= 2 and all(e in MENU_LINES or _SHARE_ENTRY.match(e) for e in entries):
        return "navigation"
    if not strip_emoji(s):
        return "decoration"
    parts = re.split(r"\s+[·•|]\s+", low)
    if all(_PAGE_META.match(p) for p in parts):
        return "page metadata"
    if is_byline(s):
        return "byline"
    return ""


def _is_loading(s: str) -> bool:
    plain = s.strip().rstrip(".…").strip().lower()
    if not plain:
        return bool(s.strip()) and set(s.strip()) <= set(".…")
    first = plain.split()[0]
    if first in LOADING_WORDS or plain in LOADING_WORDS:
        return word_count(plain) <= 4
    return bool(re.search(r"(\.\.\.|…)$", s.strip())) and word_count(plain) <= 2


def _is_breadcrumb(s: str) -> bool:
    for sep in ("›", "»", ">", "/", "|"):
        parts = [p.strip() for p in s.split(f" {sep} ")]
        if len(parts) >= 3 or (len(parts) == 2 and sep in "›»>"):
            if sep in "/|" and parts[0].lower() not in ("home", "inicio", "accueil", "start"):
                continue
            if all(p and word_count(p) <= 4 and not re.search(r"[.?!:]$", p) for p in parts):
                return True
    return False


def without_page_meta(s: str) -> tuple[str, list[tuple[str, int]]]:
    """A dotted line of short parts (`By Jane Doe · SOA-C02 · 2025-10-20 · 8 min read`) without
    its bookkeeping parts, and those parts with their columns; the line as it is when none or
    all of its parts are bookkeeping (a line of bookkeeping alone is residue)."""
    pieces = re.split(r"(\s+[·•]\s+)", s)
    parts = pieces[::2]
    if len(parts) < 2 or not all(p.strip() and word_count(p) <= 6 for p in parts):
        return s, []
    meta = [bool(_PAGE_META.match(strip_emoji(p).strip())) for p in parts]
    if not any(meta) or all(meta):
        return s, []
    kept: list[tuple[str, int]] = []
    dropped: list[tuple[str, int]] = []
    col = 1
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            (dropped if meta[i // 2] else kept).append((piece.strip(), col))
        col += len(piece)
    return " · ".join(p for p, _ in kept), dropped


def is_nav_link(s: str) -> bool:
    """A link to the next or previous page (`Next: Route 53 Routing Policies →`)."""
    s = strip_emoji(s)
    return (
        bool(_NAV_LINK.match(s))
        and word_count(s) <= 16
        and not re.search(r"[.!?][\"'’”)\]]*$", s)
        and not QARROW.search(s)
    )
