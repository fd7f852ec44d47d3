"""A study page pasted from the web (plain text) -> a Markdown source in format v1.

Pure: `import_page(text, path)` returns the Markdown text and located diagnostics (`I` codes,
line numbers of the pasted page); it prints nothing and touches no file. The generated source is
parsed back with `cardgen.source.parse_text` before it is returned, so a bug here shows up as an
`I011` error rather than as a broken source.

What a pasted page looks like, and what becomes of each part (docs/import.md has the details):

- residue (loading indicators, breadcrumbs, cookie banners, menu words, reading times,
  navigation links, feedback questions, newsletter forms, related posts and footer lines at the
  end of the page, never a recognisable section) is dropped and reported
  (`I001`); emoji around headings and body lines are dropped silently;
- the first line is the title, the lines up to the table are the description (emoji around them
  dropped and reported, `I001`);
- a pipe table (or a tab-separated one, as a browser copies an HTML table) whose header cells
  run a subject's name and tagline together and whose first cells run an attribute label and an
  exam tip together: both are split on evidence (see `_split_row`, `_split_header`), and every
  split whose evidence is thin is reported (`I002`, `I003`);
- short lines followed by text are section headings; "Question? → Answer." sentences become a
  scenario list; paragraphs led by an ALL-CAPS phrase or a short lead-in ending in a colon become
  traps, with the lead-in as the title and bold spans on the terms the page emphasises;
- an attribution line ("Publisher · EXAM-01 · 2026-02-22") becomes the `source`;
- any other line is kept under `## Unplaced text` and reported (`I004`): nothing is lost.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from cardgen.diagnostics import Diagnostic, diag
from cardgen.model import Loc
from cardgen.source import TIP_HEADERS, TRAP_WORDS, looks_utf16, normalise_text, parse_text
from cardgen.text import plain_label, slugify

MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_LABEL_WORDS = 12  # longer labels or subject names are not considered
TIP_HEADER = "Exam tip"
UNPLACED_HEADING = "Unplaced text"
TRAPS_HEADING = "Exam traps"
DECISION_HEADING = "Decision tree"

# A split whose best reading beats the runner-up by less than this is reported as unsure.
UNSURE_MARGIN = 2.0

# --------------------------------------------------------------------------------------------
# Word lists (language of the page: English; residue lists cover a few more languages)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> frozenset[str]:
    """`a b|c d|...` -> {"a b", "c d", ...} (line breaks and indentation ignored)."""
    return frozenset(p.strip() for p in re.split(r"\|", text) if p.strip())


LOADING_WORDS = _wordset(
    """loading cargando chargement carregando caricamento laden ładowanie загрузка
    yükleniyor betöltés načítání lädt φόρτωση 読み込み中 加载中 載入中 로딩"""
)
MENU_LINES = _phrases(
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
_RELATED = re.compile(
    r"^(?:related(?: posts?| articles?| reading| content| guides?| pages?)?|"
    r"you (?:may|might) also (?:like|enjoy)|more (?:posts|articles|guides) "
    r"(?:like this|from \S+.*)|more (?:posts|articles|guides)|popular (?:posts|articles)|"
    r"recommended (?:reading|posts|articles|for you)|read more|keep reading)$",
    re.IGNORECASE,
)
# Lower-case words that may sit inside a Title Case label or name ("Time to Live", "Pay per Use").
CONNECTORS = _wordset(
    """a an and or of the to for in on per with by at via vs vs. versus from into over under
    without within between as nor"""
)
# Words that open a sentence and do not end a label ("Core Purpose | This is ...").
OPENERS = _wordset(
    """a an the this that these those it its if when whenever where while unless although though
    because since as only both all any each every most many some no not never always often
    use using choose pick prefer avoid remember know note watch beware you your we our there
    here unlike compared do does don't cannot can must should even just also need"""
)
# Openers that are also nouns: they may end a label ("Primary Use", "Release Note").
NOUN_OPENERS = _wordset("use note need watch")
# Openers that never sit inside a Title Case label ("Security Groups Since 2023 ..." is a tip).
CLAUSE_OPENERS = _wordset(
    """if when whenever since because unless although though while only always never this
    these the"""
)
# Numbers open a tip only when a lower-case word follows ("Two valid patterns").
NUMBER_WORDS = _wordset("one two three four five six seven eight nine ten")
# Lead-ins a row tip often starts with ("Scenario: ...", "Exam tip: ...").
TIP_LEADS = _wordset(
    """scenario tip note remember trap gotcha pitfall warning important example key exam hint
    watch mnemonic rule"""
)
TRAPPY = re.compile(
    r"\b(traps?|gotchas?|pitfalls?|mistakes?|confuse[sd]?|confusing|confusions?|careful|watch|"
    r"warnings?|caution|beware|don't|never|remember|myths?|misconceptions?|tricks?|tricky)\b",
    re.IGNORECASE,
)
# Lead-ins that open a note section inline ("Bottom line: choose ALB for ...").
SECTION_LEADS = _phrases(
    """summary|overview|in short|bottom line|tl;dr|key takeaway|note|notes|n.b.|nb|disclaimer|
    update|updated|context|background"""
)

_QARROW = re.compile(r"\?\s*(?:→|->|⇒|=>)\s*")
_ARROW = re.compile(r"\s*(?:→|->|⇒|=>)\s*")
_SENTENCE_END = re.compile(r"[.!]['\"’”)\]]*\s+(?=[\"'“‘(¿]?[A-Z0-9])")
_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_OPEN_PUNCT = "\"'“‘«([{¿¡"
_CLOSE_PUNCT = "\"'”’»)]}.,;:!?"
_QUOTES = "\"'“‘«"
_LIST_MARKER = re.compile(r"^(?:[-*+•▪►▶]|\d{1,3}[.)])\s+")
# What would start a block other than a paragraph (heading, quote, list, rule, fence, link def).
_BLOCK_START = re.compile(
    r"^(?:#{1,6}(?:\s|$)|>|[-+](?:\s|$)|\d{1,9}[.)](?:\s|$)|=+\s*$|-{3,}|~{3,}|\[[^\]]*\]:)"
)
_QUANTITY = re.compile(
    r"(?<![\w.])\d[\d,.]*\s?(?:%|(?:[KMGTP]i?B|ms|GB-month|TPS|MB/s)\b|"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b)"
)
_EXAM_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]{2,}$")


# --------------------------------------------------------------------------------------------
# Small helpers


def _strip_emoji(text: str) -> str:
    """Drop emoji and pictographs (with their joiners and variation selectors) at both ends."""

    def decorative(ch: str) -> bool:
        return unicodedata.category(ch) in ("So", "Sk", "Cf", "Mn", "Co", "Cs") or ch in "\ufe0f"

    s = text.strip()
    i = 0
    while i < len(s) and (decorative(s[i]) or s[i].isspace()):
        i += 1
    j = len(s)
    while j > i and (decorative(s[j - 1]) or s[j - 1].isspace()):
        j -= 1
    return s[i:j]


@lru_cache(maxsize=1 << 16)
def _core(token: str) -> str:
    """A token without the punctuation around it: `'Fan-out',` -> `Fan-out`."""
    return token.lstrip(_OPEN_PUNCT).rstrip(_CLOSE_PUNCT)


@lru_cache(maxsize=1 << 16)
def _kind(token: str) -> str:
    """cap | low | conn | num | sym: how a word reads inside a Title Case label."""
    core = _core(token)
    if not core or not any(ch.isalnum() for ch in core):
        return "sym"
    if core.lower() in CONNECTORS and core[0].islower():
        return "conn"
    if core[0].isdigit():
        return "num"
    letters = [ch for ch in core if ch.isalpha()]
    if not letters:
        return "num"
    if letters[0].isupper() or any(ch.isupper() for ch in letters[1:]):
        return "cap"
    return "low"


@lru_cache(maxsize=1 << 16)
def _row_kind(token: str) -> str:
    """`_kind` for a row's first cell, where a name written in lower case with a digit (`gp3`,
    `io2`, `t3.micro`) reads like a capitalised word: it may end a label or start a tip."""
    kind = _kind(token)
    return "cap" if kind == "low" and any(ch.isdigit() for ch in _core(token)) else kind


@lru_cache(maxsize=1 << 16)
def _is_caps(token: str) -> bool:
    """ALL-CAPS word with at least two letters (`STS`, `NOT`, `(GUEST)`, `SAML/OIDC`, `DON'T`)."""
    letters = [ch for ch in _core(token) if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _words(text: str) -> int:
    return len(text.split())


def _esc(text: str, *, cell: bool = False, block_start: bool = True) -> str:
    """Escape what would change meaning in Markdown: emphasis markers, code ticks, block starts."""
    out = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)
    out = out.replace("*", r"\*").replace("`", r"\`")
    out = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\_", out)
    if cell:
        out = out.replace("|", "\\|")  # backslashes before it are doubled above
    if block_start and _BLOCK_START.match(out):
        m = re.match(r"^\d{1,9}", out)
        out = out[: m.end()] + "\\" + out[m.end() :] if m else "\\" + out
    return out


def _yaml_scalar(value: str) -> str:
    """A YAML scalar that reads back as this string: plain when clearly safe (starts with a
    letter, no `: ` or ` #`, not a YAML 1.1 boolean or null), else JSON (= YAML double-quoted)."""
    plain_ok = (
        re.match(r"^[A-Za-z][^\n]*$", value)
        and value.isprintable()
        and not any(ch in value for ch in "\u0085\u2028\u2029\ufeff")
        and ": " not in value
        and " #" not in value
        and not value.endswith((":", " "))
        and value.lower() not in ("y", "n", "yes", "no", "true", "false", "on", "off", "null")
    )
    if plain_ok:
        return value
    # JSON is YAML double-quoted; keep readable text (emoji, accents) as it is and escape only
    # what YAML does not allow bare in a quoted scalar
    return _YAML_UNSAFE.sub(_yaml_escape, json.dumps(value, ensure_ascii=False))


_YAML_UNSAFE = re.compile(  # outside YAML's printable set, or a line break to YAML 1.1
    r"[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)


def _yaml_escape(match: re.Match[str]) -> str:
    ch = ord(match.group())
    return f"\\u{ch:04x}" if ch <= 0xFFFF else f"\\U{ch:08x}"


# --------------------------------------------------------------------------------------------
# Evidence: where else on the page a phrase occurs


class _Corpus:
    """Every segment of the page (a table cell, a line) as normalised tokens, for phrase counts."""

    def __init__(self) -> None:
        self.segments: list[tuple[str, ...]] = []
        self.lower_words: set[str] = set()  # words seen written in lower or Title Case
        self.index: dict[str, list[tuple[int, int]]] = {}  # word -> (segment, position)
        self._stats: dict[tuple[str, ...], tuple[int, Counter[str], Counter[str]]] = {}
        self.breaks: set[tuple[int, int]] = set()  # (segment, position) of clause ends
        self._follow: dict[tuple[str, ...], Counter[str]] = {}

    def add(self, text: str) -> int:
        raw = [t for t, _, _ in _tokens(text) if _core(t)]
        toks = tuple(_core(t) for t in raw)
        sid = len(self.segments)
        self.segments.append(toks)
        self._stats.clear()
        self._follow.clear()
        # where a sentence or clause ends after a word (`Pools.`, `DynamoDB,`): what follows
        # there does not continue a name
        self.breaks.update((sid, i) for i, t in enumerate(raw) if re.search(r"[.,;:!?)]$", t))
        for i, t in enumerate(toks):
            self.index.setdefault(t, []).append((sid, i))
            if not _is_caps(t):
                self.lower_words.add(t.lower())
        return sid

    def _occurrences(self, phrase: tuple[str, ...], sids: Iterable[int]) -> Iterable[tuple]:
        """(word before, word after) of each occurrence of `phrase` in the given segments."""
        n = len(phrase)
        for sid in sids:
            toks = self.segments[sid]
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == phrase:
                    yield (toks[i - 1] if i else "", toks[i + n] if i + n < len(toks) else "")

    def _phrase_stats(self, phrase: tuple[str, ...]) -> tuple[int, Counter[str], Counter[str]]:
        """Occurrences of `phrase` on the whole page, with the words before and after them."""
        cached = self._stats.get(phrase)
        if cached is not None:
            return cached
        total, before, after = 0, Counter[str](), Counter[str]()
        j = min(range(len(phrase)), key=lambda x: len(self.index.get(phrase[x], ())))
        n = len(phrase)
        for sid, i in self.index.get(phrase[j], ()):
            start = i - j
            toks = self.segments[sid]
            if start < 0 or toks[start : start + n] != phrase:
                continue
            total += 1
            before[toks[start - 1] if start else ""] += 1
            after[toks[start + n] if start + n < len(toks) else ""] += 1
        self._stats[phrase] = (total, before, after)
        return total, before, after

    def followers(self, phrase: Sequence[str], exclude: Iterable[int] = ()) -> Counter[str]:
        """The word after each occurrence of `phrase` outside the excluded segments (`""` at
        the end of a segment or of a clause)."""
        key = tuple(p for p in (_core(x) for x in phrase) if p)
        if not key:
            return Counter()
        n = len(key)
        everywhere = self._follow.get(key)
        if everywhere is None:
            everywhere = self._follow[key] = Counter(
                self._follower(sid, i, n) for sid, i in self._starts(key)
            )
        out = everywhere.copy()
        for sid in set(exclude):
            toks = self.segments[sid]
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == key:
                    out[self._follower(sid, i, n)] -= 1
        return +out

    def _starts(self, key: tuple[str, ...]) -> Iterable[tuple[int, int]]:
        """(segment, position) of each occurrence of `key`, found through its rarest word."""
        n = len(key)
        j = min(range(n), key=lambda x: len(self.index.get(key[x], ())))
        for sid, i in self.index.get(key[j], ()):
            start = i - j
            if start >= 0 and self.segments[sid][start : start + n] == key:
                yield sid, start

    def _follower(self, sid: int, start: int, n: int) -> str:
        toks = self.segments[sid]
        end = start + n
        return "" if end >= len(toks) or (sid, end - 1) in self.breaks else toks[end]

    def count(
        self,
        phrase: Sequence[str],
        exclude: Iterable[int] = (),
        not_before: str | None = None,
        not_after: str | None = None,
    ) -> int:
        """Occurrences of `phrase` (case-sensitive, whole words) outside the excluded segments.

        `not_before`: skip occurrences preceded by this word; `not_after`: followed by it.
        """
        key = tuple(p for p in (_core(x) for x in phrase) if p)
        if not key:
            return 0
        total, before, after = self._phrase_stats(key)
        if not total:
            return 0
        nb = _core(not_before) if not_before is not None else None
        na = _core(not_after) if not_after is not None else None
        hits = total - (before[nb] if nb else 0) - (after[na] if na else 0)
        if nb and na:  # occurrences with both neighbours were subtracted twice
            hits += sum(
                1
                for b, a in self._occurrences(key, range(len(self.segments)))
                if b == nb and a == na
            )
        for b, a in self._occurrences(key, set(exclude)):
            if (nb and b == nb) or (na and a == na):
                continue
            hits -= 1
        return hits


# --------------------------------------------------------------------------------------------
# Splitting header cells (name + tagline) and first cells (label + tip)


@dataclass
class _Split:
    head: str
    tail: str
    score: float
    strong: bool = True  # backed by evidence beyond capitalisation alone
    k: int = 0  # words in the head
    runner_up: _Split | None = None
    # every reading of the cell, for a header whose name turns out to collide with another's
    cands: list[_Split] = field(default_factory=list, repr=False)
    collided: str = ""  # the shorter name given up because other columns share it

    @property
    def margin(self) -> float:
        return self.score - self.runner_up.score if self.runner_up else 99.0

    @property
    def unsure(self) -> bool:
        return not self.strong or self.margin < UNSURE_MARGIN


def _rank(cands: list[_Split]) -> _Split:
    """The best candidate; its runner-up is the next best, the nearest boundary on ties."""
    best = max(cands, key=lambda c: (c.score, -c.k))
    others = [c for c in cands if c is not best]
    if others:
        best.runner_up = max(others, key=lambda c: (c.score, -abs(c.k - best.k)))
    return best


def _label_penalty(words: Sequence[str]) -> float:
    """How little `words` read like a Title Case label or name (0 = perfectly)."""
    score = 0.0
    for w in words:
        if _kind(w) == "low":
            score -= 6
    for w in words[1:]:
        if _core(w).lower() in CLAUSE_OPENERS and _kind(w) == "cap":
            score -= 3
    last = words[-1]
    if _kind(last) == "conn" or _kind(last) == "sym":
        score -= 4
    if _core(last).lower() in OPENERS - NOUN_OPENERS and _kind(last) != "conn":
        score -= 4
    if re.search(r"[,;.!?]$", last) and not re.search(r"\d\.?$|\b[A-Za-z]\.$", last):
        score -= 5
    text = " ".join(words)
    if text.count("(") != text.count(")"):
        score -= 4
    if any(w[:1] in _QUOTES for w in words):
        score -= 3
    if len(words) > 6:
        score -= len(words) - 6
    return score


@dataclass(frozen=True)
class _Vocab:
    """The words of a table's surely split labels, minus those of the row at hand."""

    counts: Counter[str]
    own: set[str]

    def __contains__(self, word: object) -> bool:
        return self.counts.get(str(word), 0) - (word in self.own) > 0


def _split_header(cell: str, corpus: _Corpus, exclude: Iterable[int]) -> _Split:
    """Split `Name Tagline words` into name and tagline, on evidence from the rest of the page."""
    m = re.search(r"\s+[—–]\s+|\s+-\s+|:\s+", cell)
    if m and 0 < _words(cell[: m.start()]) <= 5:
        before = cell[: m.start()].split()
        if not any(_kind(w) == "low" for w in before):
            return _Split(cell[: m.start()].strip(), cell[m.end() :].strip(), 99.0)
    toks = _tokens(cell)
    words = [t for t, _, _ in toks]
    n = len(words)
    if not n:
        return _Split("", "", 0.0)
    exclude = list(exclude)
    cands: list[_Split] = []
    for k in [*range(1, min(n, MAX_LABEL_WORDS + 1)), n]:
        name_words = words[:k]
        score = _label_penalty(name_words)
        if k < n:
            nxt = words[k]
            # uses of the name elsewhere that are not followed by the tagline's first word; a
            # use followed by another capitalised word (`Amazon Aurora` for `Amazon`) shows a
            # start of longer names, not a name
            after = corpus.followers(name_words, exclude)
            seen = sum(c for w, c in after.items() if w != _core(nxt) and _kind(w) != "cap")
            prefix = sum(c for w, c in after.items() if w != _core(nxt) and _kind(w) == "cap")
            strong = bool(seen)
            if seen:
                score += 5 + min(seen, 5) * 0.2
            elif prefix:
                score += 1
            if corpus.count(words[: k + 1], exclude):
                score -= 2  # the page writes the next word with the name: it belongs to it
            if _kind(nxt) == "low":
                score -= 2
            elif _kind(nxt) == "conn":
                score -= 4
            if k + 1 < n and _kind(words[k + 1]) in ("low", "conn"):
                score += 2
            if not any(_kind(w) in ("low", "conn") for w in words[k:]):
                score -= 2
            score += 0.3 * k
            head, tail = cell[: toks[k - 1][2]].strip(), cell[toks[k][1] :].strip()
        else:
            if any(_kind(w) == "low" for w in words):
                score -= 10
            else:
                score += 1
            strong = bool(corpus.count(name_words, exclude))
            if strong:
                score += 5
            score += 0.3 * k
            head, tail = cell.strip(), ""
        cands.append(_Split(head, tail, score, strong, k))
    best = _rank(cands)
    best.cands = cands
    return best


def _name_key(name: str) -> str:
    return slugify(name) or name.lower()


def _distinct_names(splits: dict[int, _Split]) -> None:
    """Lengthen subject names that came out the same in several header cells.

    Two columns are two subjects: a split that gives them the same name (`S3 Glacier` for
    `S3 Glacier Instant Retrieval …` and `S3 Glacier Deep Archive …`) cut the names short, and
    the page's use of the shared start (`S3 Glacier tiers compared`) was no evidence for it.
    Each such cell takes its best longer reading instead, unless its tagline already starts
    like a phrase (`Amazon S3 Object storage …` next to `Amazon S3 Glacier Archive …`) and the
    others can move away from it. A lengthened name rests on its form alone, so it is reported
    as unsure unless the page uses it elsewhere. Cells that are the same text stay as they are
    (renamed and reported as duplicates, `I013`).
    """
    for _ in range(MAX_LABEL_WORDS):
        groups: dict[str, list[int]] = {}
        for j, sp in splits.items():
            groups.setdefault(_name_key(sp.head), []).append(j)
        moved = False
        for group in groups.values():
            if len({f"{splits[j].head} {splits[j].tail}" for j in group}) < 2:
                continue  # one cell repeated: nothing tells the columns apart
            movable = [j for j in group if any(c.k > splits[j].k for c in splits[j].cands)]
            loose = [j for j in movable if not _tail_starts_phrase(splits[j].tail)]
            targets = loose if len(group) - len(loose) <= 1 else movable
            for j in targets:
                old = splits[j]
                longer = sorted(
                    (c for c in old.cands if c.k > old.k), key=lambda c: (-c.score, c.k)
                )
                best = longer[0]
                new = _Split(best.head, best.tail, best.score, best.strong, best.k)
                new.cands, new.collided = old.cands, old.collided or old.head
                if len(longer) > 1:
                    new.runner_up = longer[1]
                # the shorter name was no reading at all; what is left is form alone
                new.strong = best.strong and new.margin >= UNSURE_MARGIN
                splits[j] = new
                moved = True
        if not moved:
            return


def _tail_starts_phrase(tail: str) -> bool:
    """A tagline that starts like a phrase: a capitalised word, then a lower-case one."""
    words = tail.split()
    return len(words) >= 2 and _kind(words[0]) == "cap" and _kind(words[1]) in ("low", "conn")


def _split_row(
    cell: str,
    corpus: _Corpus,
    exclude: Iterable[int],
    subjects: Sequence[str],
    colon_labels: bool,
    vocab: _Vocab | None = None,
) -> _Split:
    """Split an attribute label from the exam tip run on after it in a row's first cell.

    Every word boundary is a candidate (and "no tip"). The label should read as a Title Case
    label; the tip should start like a sentence: a subject's name, a quote, a lead-in such as
    `Scenario:` or `Critical trap:`, an opener (`This`, `If`, `The`), a capitalised word
    followed by lower-case words, or a phrase that occurs elsewhere on the page. `vocab` holds
    the words of the table's other (surely split) labels: a label ending in one of them, or a
    tip not starting with one, reads more likely.
    """
    toks = _tokens(cell)
    words = [t for t, _, _ in toks]
    n = len(words)
    if not n:
        return _Split("", "", 0.0)
    exclude = list(exclude)
    names = [s.split() for s in subjects if s]
    cands: list[_Split] = []
    for k in [*range(1, min(n, MAX_LABEL_WORDS + 1)), n]:
        label = words[:k]
        score = _label_penalty(label)
        if vocab and _core(label[-1]).lower() in vocab:
            score += 1  # other rows' labels use this word too
        if k == n:
            lows = sum(1 for w in words if _row_kind(w) == "low")
            # a short label in sentence case (`Data types`, `Max message size`): any tip cut
            # from it would start with a lower-case word
            sentence_case = (
                n <= 4
                and _row_kind(words[0]) == "cap"
                and all(_row_kind(w) in ("low", "conn", "num") for w in words[1:])
                and not re.search(r"[.!?:;,\"'“‘]", cell)
            )
            if sentence_case:
                score += 1 + 6 * lows  # its lower-case words are no sign of a tip
                cands.append(_Split(cell.strip(), "", score, True, k))
                continue
            score += 1 if not lows else -10
            if any(w.endswith(":") for w in words) or any(w[:1] in _QUOTES for w in words):
                score -= 3
            cands.append(_Split(cell.strip(), "", score, not lows, k))
            continue
        first = words[k]
        kind = _row_kind(first)
        nxt = words[k + 1] if k + 1 < n else ""
        nxt_lower = bool(nxt) and nxt[:1] not in "([{" and _row_kind(nxt) in ("low", "conn")
        core_first = _core(first)
        strong = False
        if first[:1] in _QUOTES:
            score += 5
            strong = True
        elif first[:1] in "([{":
            score -= 3
        elif kind in ("low", "sym", "conn"):
            score -= 8
        # a lead-in ending in a colon: `Scenario:` or `Critical trap:`
        colon_at = next((i for i in range(k, min(k + 3, n)) if words[i].endswith(":")), None)
        if colon_at is not None and kind == "cap":
            lead = words[k : colon_at + 1]
            if colon_at == k or all(_row_kind(w) in ("low", "conn", "num") for w in lead[1:]):
                score += 4
                strong = True
                if _core(lead[0]).lower() in TIP_LEADS or colon_at == k:
                    score += 1
        if label[-1].endswith(":"):
            if _core(label[-1]).lower() in TIP_LEADS:
                score -= 8  # `Scenario:` opens the tip, it does not end the label
            else:
                score += 5 if colon_labels else -5
                strong = strong or colon_labels
        if any(words[k : k + len(nm)] == nm for nm in names):
            score += 5
            strong = True
        elif vocab and core_first.lower() in vocab:
            score -= 1
        low_core = core_first.lower()
        if low_core in OPENERS or (low_core in NUMBER_WORDS and nxt_lower):
            score += 3
            strong = True
        # a number with its unit, then words (`5 PiB accounts are …`): the quantity opens the
        # tip; a label does not end between a number and its unit (`Max Size 5 | PiB …`)
        quantity = _QUANTITY.match(" ".join(words[k : k + 2]))
        if quantity and kind == "num" and k + 2 < n and _row_kind(words[k + 2]) in ("low", "conn"):
            score += 3
            strong = True
        if _QUANTITY.fullmatch(f"{label[-1]} {first}"):
            score -= 4
        if nxt_lower:
            score += 2
        if not any(_row_kind(w) == "low" for w in words[k:]):
            score -= 4
        # the capitalised phrase the tip opens with, and whether the page uses it elsewhere
        j = k
        while j < n and j - k < 5 and _row_kind(words[j]) in ("cap", "num"):
            j += 1
            if words[j - 1].endswith((":", ",", ";", ".")):
                break
        head = words[k:j] or [first]
        sentence = j < n and _row_kind(words[j]) in ("low", "conn")  # the head is a subject
        if sentence and corpus.count(head, exclude, not_before=label[-1]):
            score += 2
            strong = True
        if nxt in ("/", "&", "+"):
            score -= 2  # `IP / Elastic IP` joins label words, a tip does not start so
        if corpus.count([label[-1], *head], exclude):
            score -= 2
        named = any(words[k : k + len(nm)] == nm for nm in names)

        def technical(w: str) -> bool:  # an acronym or a lower-case name (`IOPS`, `gp3`)
            return _is_caps(w) or _row_kind(w) != _kind(w)

        if k == 1 and not named and technical(first) and technical(nxt):
            # one word, then two such terms (`Max IOPS gp3 gives …`): the first term may well
            # belong to the label; never a sure split
            strong = False
        tail_start = toks[k][1]
        head_text = cell[: toks[k - 1][2]].strip()
        cands.append(_Split(head_text, cell[tail_start:].strip(), score, strong, k))
    return _rank(cands)


# --------------------------------------------------------------------------------------------
# Page structure


@dataclass
class _Row:
    line: int
    cells: list[str]
    segs: list[int]
    missing: int = 0  # cells the pasted row lacked (padded with empty ones at the end)


@dataclass
class _Table:
    line: int
    header: list[str]
    header_cols: list[int]
    header_segs: list[int]
    rows: list[_Row] = field(default_factory=list)
    tip_col: int | None = None
    out_header: list[str] = field(default_factory=list)  # `Name — tagline` cells
    out_rows: list[tuple[int, str, str, list[str]]] = field(default_factory=list)


@dataclass
class _Block:
    """One piece of output: a table, a heading, a paragraph, a scenario, a trap."""

    kind: str  # table | heading | para | scenario | trap
    line: int
    text: str = ""
    extra: tuple[str, ...] = ()
    table: _Table | None = None
    raw: str = ""  # a paragraph's or trap's line as the page has it (emoji aside)


def _cells(line: str) -> list[tuple[str, int]]:
    """Split a pasted table line on unescaped pipes (on tabs for a line of a tab-separated
    table, the only lines that keep their tabs, see `_page_lines`): (cell text, 1-based column).
    """
    if "\t" in line:
        out = []
        col = 0
        for text in line.split("\t"):
            lead = len(text) - len(text.lstrip())
            out.append((text.strip(), col + lead + 1))
            col += len(text) + 1
        return out
    s = line.rstrip()
    start = len(s) - len(s.lstrip())
    if s[start : start + 1] == "|":
        start += 1
    end = len(s)
    if s.endswith("|") and not s.endswith("\\|") and end - 1 >= start:
        end -= 1
    cells: list[tuple[str, int]] = []
    buf = start
    i = start
    while i < end:
        if s[i] == "\\" and i + 1 < end:
            i += 2
            continue
        if s[i] == "|":
            cells.append((s[buf:i], buf + 1))
            buf = i + 1
        i += 1
    cells.append((s[buf:end], buf + 1))
    out = []
    for text, col in cells:
        lead = len(text) - len(text.lstrip())
        out.append((text.strip(), col + lead))
    return out


def _is_table_start(lines: list[str], i: int) -> bool:
    """A header line: two pipes or more, and a leading `|`, a separator row under it, or (for
    a pasted `Feature | A | B` table) at least three cells, as in the next line."""
    if "\t" in lines[i]:  # a tab-separated table: its first line is the header
        return i == 0 or "\t" not in lines[i - 1]
    s = lines[i].strip()
    if s.count("|") < 2 or _SEPARATOR_ROW.match(s):
        return False
    if s.startswith("|"):
        return True
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if _SEPARATOR_ROW.match(nxt):
        return True
    # without a leading pipe, two table-like lines in a row; a line of residue
    # (`Home | Docs | Pricing`) starts no table
    return (
        len(_cells(s)) >= 3
        and len(_cells(nxt)) >= 3
        and not _residue_kind(s)
        and not _residue_kind(nxt)
    )


def _is_loading(s: str) -> bool:
    plain = s.strip().rstrip(".…").strip().lower()
    if not plain:
        return bool(s.strip()) and set(s.strip()) <= set(".…")
    first = plain.split()[0]
    if first in LOADING_WORDS or plain in LOADING_WORDS:
        return _words(plain) <= 4
    return bool(re.search(r"(\.\.\.|…)$", s.strip())) and _words(plain) <= 2


def _is_breadcrumb(s: str) -> bool:
    for sep in ("›", "»", ">", "/", "|"):
        parts = [p.strip() for p in s.split(f" {sep} ")]
        if len(parts) >= 3 or (len(parts) == 2 and sep in "›»>"):
            if sep in "/|" and parts[0].lower() not in ("home", "inicio", "accueil", "start"):
                continue
            if all(p and _words(p) <= 4 and not re.search(r"[.?!:]$", p) for p in parts):
                return True
    return False


def _residue_kind(s: str) -> str:
    """Why a line is page residue ("" when it is not)."""
    if _is_loading(s):
        return "loading indicator"
    if _is_breadcrumb(s):
        return "breadcrumb"
    low = s.strip().lower()
    if FOOTER_PATTERN.search(s.strip()):
        return "footer"
    if _COOKIE_WORD.search(s) and _COOKIE_BANNER.search(s.strip()) and _words(s) <= 40:
        return "cookie banner"
    if _NEWSLETTER.search(s.strip()) and _words(s) <= 8:
        return "newsletter form"
    if _TAGS_LINE.match(s.strip()):
        return "tags"
    # a menu word, maybe with its icon (`☰ Menu`)
    bare = _strip_emoji(low)
    if any(x in MENU_LINES for x in (low, low.rstrip(" ›»>"), bare, bare.rstrip(" ›»>"))):
        return "navigation"
    # menu entries or share buttons side by side (`Privacy · Terms · Contact`)
    entries = re.split(r"\s+[·•|]\s+", bare)
    if len(entries) >= 2 and all(e in MENU_LINES or _SHARE_ENTRY.match(e) for e in entries):
        return "navigation"
    if not _strip_emoji(s):
        return "decoration"
    parts = re.split(r"\s+[·•|]\s+", low)
    if all(_PAGE_META.match(p) for p in parts):
        return "page metadata"
    return ""


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


def _without_page_meta(s: str) -> tuple[str, list[tuple[str, int]]]:
    """A dotted line of short parts (`By Jane Doe · SOA-C02 · 2025-10-20 · 8 min read`) without
    its bookkeeping parts, and those parts with their columns; the line as it is when none or
    all of its parts are bookkeeping (a line of bookkeeping alone is residue)."""
    pieces = re.split(r"(\s+[·•]\s+)", s)
    parts = pieces[::2]
    if len(parts) < 2 or not all(p.strip() and _words(p) <= 6 for p in parts):
        return s, []
    meta = [bool(_PAGE_META.match(_strip_emoji(p).strip())) for p in parts]
    if not any(meta) or all(meta):
        return s, []
    kept, dropped, col = [], [], 1
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            (dropped if meta[i // 2] else kept).append((piece.strip(), col))
        col += len(piece)
    return " · ".join(p for p, _ in kept), dropped


def _attribution_parts(s: str) -> list[str] | None:
    parts = [p.strip() for p in re.split(r"\s+[·•]\s+", s.strip())]
    # a label in front (`Sources: AWS documentation · …`) is no part of the source
    parts[0] = _SOURCE_LABEL.sub("", parts[0])
    if len(parts) < 2 or len(parts) > 6 or len(s) > 140:
        return None
    if not all(p and _words(p) <= 6 for p in parts):
        return None
    # it dates the page or names the exam: a year (`2026-01-15`, `March 2026`) or an exam code;
    # a reading time or a relative date (`Updated 3 days ago · 12 min read`) is no attribution
    if not any(_YEAR.search(p) or _EXAM_CODE.match(p) for p in parts):
        return None
    return parts


_SOURCE_LABEL = re.compile(r"^(?:sources?|credits?)\s*(?::|[—–]\s)\s*", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _is_label_like(s: str) -> bool:
    """Short Title Case text without end punctuation: a heading, a menu entry."""
    s = s.strip()
    return (
        bool(s)
        and not re.search(r"[.:;,!]$", s)
        and not _QARROW.search(s)
        and sum(1 for w in s.split() if _kind(w) == "low") <= 1
    )


# Words that make a run of text a sentence (a tip) rather than a noun phrase (a table value).
SENTENCE_WORDS = _wordset(
    """is are was were be been being isn't aren't can can't cannot could must should will won't
    would may might do does don't doesn't did has have hasn't haven't need needs means mean
    use uses pick choose prefer avoid remember watch think look"""
)


def _reads_like_tip(text: str, subjects: Sequence[str]) -> bool:
    """Whether the text after a row's label reads like an exam tip (a sentence, a lead-in, a
    quote, an opener, a subject's name) rather than like one subject's value."""
    words = text.split()
    if not words:
        return False
    first = _core(words[0]).lower()
    return (
        words[0][:1] in _QUOTES
        or first in OPENERS
        or any(w.endswith(":") for w in words[:3])
        or any(_core(w).lower() in SENTENCE_WORDS for w in words)
        or any(text.startswith(s) for s in subjects if s)
        or bool(re.search(r"[.!?]['\"’”)\]]*$", text))
        or len(words) > 12
    )


def _is_section_heading(s: str) -> bool:
    """A line that names a section the importer recognises (`Summary`, `🎯 Decision Tree`,
    `Common Exam Traps`, `Bottom line: ...`)."""
    plain = _strip_emoji(s).lower()
    lead = re.match(r"^([a-z][a-z .;]{0,20})(?::|$)", plain)
    return bool(plain) and (
        bool(lead and lead.group(1).strip() in SECTION_LEADS)
        or any(w in plain for w in TRAP_WORDS)
        or bool(re.search(r"\bdecision\b|\bsummary\b|\btakeaways?\b", plain))
    )


def _looks_like_content(s: str) -> bool:
    """Whether a line is recognisably part of the page's content, which page residue (a footer)
    never swallows: a scenario, a sentence, a trap lead-in, a section heading."""
    s = _strip_emoji(s)
    words = s.split()
    return (
        bool(_QARROW.search(s))
        or (bool(re.search(r"[.!?][\"'’”)\]]*$", s)) and len(words) >= 3)
        or (bool(_caps_lead(words)) and len(words) >= 3)
        or bool(TRAPPY.search(s))
        or _is_section_heading(s)
    )


def _is_nav_like(s: str) -> bool:
    """A navigation link or footer entry: residue, a link to the next page, or a short
    label-like line."""
    s = s.strip()
    return (
        bool(_residue_kind(s))
        or _is_nav_link(s)
        or (_words(s) <= 5 and len(s) <= 40 and _is_label_like(s))
    )


# A link to the next or previous page (`Next: Conditional Access vs Identity Protection →`,
# `← Previous`, `Read next › …`): a navigation word with a colon or an arrow, or an arrow first;
# no sentence, whatever the length of the linked page's title.
_NAV_LINK = re.compile(
    r"^(?:(?:up next|read next|next|previous|prev|next article|previous article|older|newer|"
    r"continue reading|back to)\b\s*(?::|→|»|›|->|>|\s.*(?:→|»|›|->|>)$)|[←«‹]|<-)",
    re.IGNORECASE,
)


def _is_nav_link(s: str) -> bool:
    s = _strip_emoji(s)
    return (
        bool(_NAV_LINK.match(s))
        and _words(s) <= 16
        and not re.search(r"[.!?][\"'’”)\]]*$", s)
        and not _QARROW.search(s)
    )


def _caps_lead(tokens: Sequence[str]) -> int:
    """Number of leading tokens forming an ALL-CAPS phrase (`API GATEWAY AUTHORIZER TRAP:`)."""
    n = 0
    letters = 0
    for i, t in enumerate(tokens):
        one_letter = _core(t) in ("A", "I") and i + 1 < len(tokens) and _is_caps(tokens[i + 1])
        if _is_caps(t) or (n and (one_letter or (_core(t) in ("&", "/", "+") and len(t) == 1))):
            n += 1
            letters += sum(ch.isalpha() for ch in t)
            if t.endswith((":", ",", ";", ".")):
                break
        else:
            break
    while n and not _is_caps(tokens[n - 1]):
        n -= 1
    return n if letters >= 4 else 0


@dataclass
class _TrapParts:
    title: str
    sep: str  # ":" or "—" or ""
    text: str
    lead_caps: int  # tokens of an untitled ALL-CAPS lead to bold (0 when none)


def _trap_parts(s: str, corpus: _Corpus) -> _TrapParts | None:
    """Title and text of a trap-like paragraph, or None when nothing marks it as a trap."""
    parts = _trap_lead(s, corpus)
    if parts is None or not re.search(r"\w", s):
        return None
    if parts.sep and not (re.search(r"\w", parts.title) and re.search(r"\w", parts.text)):
        return _TrapParts("", "", s, 0)  # a lead-in with nothing after it is no title
    return parts


def _enclosed(s: str, end: int) -> bool:
    """Whether position `end` of `s` is inside brackets or a code span (`(clusterIP: None)`):
    a colon there ends no lead-in."""
    before = s[:end]
    depth = 0
    for ch in before:
        depth = max(0, depth + (ch in "([{") - (ch in ")]}"))
    return depth > 0 or before.count("`") % 2 == 1


def _trap_lead(s: str, corpus: _Corpus) -> _TrapParts | None:
    toks = _tokens(s)
    words = [t for t, _, _ in toks]
    caps = _caps_lead(words)
    if caps:
        last = words[caps - 1]
        if last.endswith(":") and not _enclosed(s, toks[caps - 1][2]):
            return _TrapParts(s[: toks[caps - 1][2] - 1].strip(), ":", s[toks[caps - 1][2] :], 0)
        if caps < len(words) and words[caps] in ("—", "–", "-", "--"):
            rest = s[toks[caps][2] :] if caps + 1 < len(words) else ""
            return _TrapParts(s[: toks[caps - 1][2]].strip(), "—", rest, 0)
        emphatic = any(_shouted(w, corpus) for w in words[:caps])
        if emphatic and (caps >= 2 or len(_core(words[0])) >= 4):
            return _TrapParts("", "", s, caps)
    for i, w in enumerate(words[:6]):
        if w.endswith(":") and not re.search(r"\d:\d", w) and not _enclosed(s, toks[i][2]):
            if any(re.search(r"[.?!]$", x) for x in words[:i]):
                break
            return _TrapParts(s[: toks[i][2] - 1].strip(), ":", s[toks[i][2] :], 0)
        if w in ("—", "–") and 1 <= i <= 4:
            lead = words[:i]
            if any(re.search(r"[.?!,;]$", x) for x in lead):
                break
            return _TrapParts(s[: toks[i - 1][2]].strip(), "—", s[toks[i][2] :], 0)
    return None


# --------------------------------------------------------------------------------------------
# The importer


@dataclass
class _Importer:
    path: str
    lines: list[str]
    doc_id: str | None
    diags: list[Diagnostic] = field(default_factory=list)
    corpus: _Corpus = field(default_factory=_Corpus)
    title: str = ""
    title_line: int = 0
    description: list[tuple[int, str]] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    source: str = ""
    source_parts: list[str] = field(default_factory=list)
    residue: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)
    subjects: list[str] = field(default_factory=list)  # of every table
    deck_subjects: list[str] = field(default_factory=list)  # of the first table
    # labels used so far per set of subjects: the parser reads tables with the same subjects
    # as one comparison, in which a label may appear once
    labels: dict[str, dict[str, int]] = field(default_factory=dict)

    def loc(self, line: int, col: int = 1) -> Loc:
        return Loc(self.path, line, col)

    # ---- pass 1: tables, residue, classification of lines --------------------------------

    def run(self) -> str:
        tables, table_lines = self._find_tables()
        content = self._classify(table_lines)
        for t in tables:
            self._split_table(t)
        for t in tables:
            t.out_header, t.out_rows = self._resolve_table(t)
        self._structure(content, tables)
        self._report_residue()
        return self._render()

    def _find_tables(self) -> tuple[list[_Table], set[int]]:
        lines = self.lines
        tables: list[_Table] = []
        used: set[int] = set()
        i = 0
        while i < len(lines):
            if not _is_table_start(lines, i):
                i += 1
                continue
            header = _cells(lines[i])
            table = _Table(
                line=i + 1,
                header=[c for c, _ in header],
                header_cols=[c for _, c in header],
                header_segs=[],
            )
            used.add(i)
            j = i + 1
            if j < len(lines) and _SEPARATOR_ROW.match(lines[j].strip()):
                used.add(j)
                j += 1
            ncols = len(table.header)
            # without outer pipes on the header, a closing one on a row one cell short (and
            # without an opening one) ends an empty last cell (`Custom Runtimes | … | `: no tip)
            open_end = not re.search(r"(?<!\\)\|\s*$", lines[i])
            tabbed = "\t" in lines[i]
            mark = "\t" if tabbed else "|"
            while j < len(lines) and mark in lines[j] and lines[j].strip():
                start = j
                text = lines[j]
                cells = _cells(text)
                if (
                    open_end
                    and not tabbed
                    and len(cells) == ncols - 1
                    and not text.lstrip().startswith("|")
                    and re.search(r"(?<!\\)\|\s*$", text)
                ):
                    cells.append(("", len(text.rstrip()) + 1))
                while len(cells) < ncols and j + 1 < len(lines) and lines[j + 1].strip():
                    if tabbed:
                        # a cell broken over lines: the next line goes on with that cell
                        if "\t" not in lines[j + 1]:
                            break
                        joined = text.rstrip(" ") + " " + lines[j + 1].lstrip(" ")
                    else:
                        joined = text.rstrip() + " " + lines[j + 1].strip()
                    if len(_cells(joined)) > ncols:
                        break
                    text = joined
                    j += 1
                    cells = _cells(text)
                for k in range(start, j + 1):
                    used.add(k)
                values = [c for c, _ in cells]
                missing = max(0, ncols - len(values))
                if missing:  # reported once the row is split (`_resolve_table`)
                    values += [""] * missing
                elif len(values) > ncols:
                    self.diags.append(
                        diag(
                            self.loc(start + 1),
                            "I005",
                            f"row has {len(values)} cells, the header has {ncols}; "
                            "extra cells joined into the last one",
                        )
                    )
                    values = values[: ncols - 1] + [" | ".join(values[ncols - 1 :])]
                elif j > start:
                    self.diags.append(
                        diag(
                            self.loc(start + 1),
                            "I005",
                            f"row runs over lines {start + 1}-{j + 1}; joined into one row",
                        )
                    )
                table.rows.append(_Row(start + 1, values, [], missing))
                j += 1
            tables.append(table)
            i = j
        return tables, used

    def _classify(self, table_lines: set[int]) -> list[tuple[int, str]]:
        """Drop residue; return the remaining non-table lines as (line number, text)."""
        out: list[tuple[int, str]] = []
        for i, raw in enumerate(self.lines):
            if i in table_lines:
                continue
            kept, dropped = _without_page_meta(raw.strip())
            if dropped:
                col = len(raw) - len(raw.lstrip()) + dropped[0][1]
                self.diags.append(
                    diag(
                        self.loc(i + 1, col),
                        "I001",
                        "dropped page bookkeeping from the line: "
                        + ", ".join(repr(p) for p, _ in dropped),
                    )
                )
                self.lines[i] = kept
        first_content = next(
            (
                no
                for no, raw in enumerate(self.lines, 1)
                if raw.strip() and no - 1 not in table_lines and not _residue_kind(raw.strip())
            ),
            0,
        )
        # attribution: the last dotted line that carries a digit (date, year, exam code)
        attribution = 0
        for no in range(len(self.lines), first_content, -1):
            if no - 1 in table_lines:
                continue
            parts = _attribution_parts(_strip_emoji(self.lines[no - 1]))
            if parts:
                attribution = no
                self.source = " · ".join(parts)
                self.source_parts = parts
                break
        # footer: the attribution closes the page's content when every line after it is page
        # residue or short text that is no content (no scenario, sentence, trap or section
        # heading); an attribution near the top (under the title) closes nothing
        footer_from = 0
        if attribution and all(
            no - 1 not in table_lines
            and (
                _residue_kind(s)
                or _is_nav_link(s)
                or (_words(s) <= 12 and not _looks_like_content(s))
            )
            for no in range(attribution + 1, len(self.lines) + 1)
            if (s := self.lines[no - 1].strip())
        ):
            footer_from = attribution
        # trailing navigation: a run of short lines at the very end of the page, after the
        # attribution or at least two of them (one short last line may be content); it stops
        # at content, and a section heading right above it (`Summary`) claims it as its text
        # (an attribution line in the run is passed over: it is the source, not content); links
        # to other pages and residue at the end of the run are navigation in any case
        tail = sure_tail = len(self.lines) + 1
        run = 0
        stop = ""
        sure = True
        for no in range(len(self.lines), first_content, -1):
            s = self.lines[no - 1].strip()
            if no - 1 in table_lines:
                break
            if no == attribution:
                if no == len(self.lines) or sure:
                    continue
                break
            nav = bool(_residue_kind(s)) or _is_nav_link(s)
            if s and not nav and (not _is_nav_like(s) or _looks_like_content(s)):
                stop = s
                break
            tail = no
            run += bool(s)
            sure = sure and (nav or not s)
            if sure:
                sure_tail = no
        if (run < 2 and not footer_from) or _is_section_heading(stop):
            tail = sure_tail
        # links to other posts under their heading at the end of the page (`Related posts`,
        # then post titles of any length): no sentence, scenario or section after the heading
        related = len(self.lines) + 1
        for no in range(len(self.lines), first_content, -1):
            s = self.lines[no - 1].strip()
            if no - 1 in table_lines:
                break
            if not s or no == attribution:
                continue
            if _RELATED.match(_strip_emoji(s).rstrip(":").strip()):
                related = no
                break
            if not (_residue_kind(s) or _is_nav_link(s)) and (
                _words(s) > 16
                or re.search(r"[.!][\"'’”)\]]*$", s)
                or _QARROW.search(s)
                or _is_section_heading(s)
            ):
                break
        for no, raw in enumerate(self.lines, 1):
            if no - 1 in table_lines or not raw.strip():
                continue
            s = raw.strip()
            if no == attribution:
                continue
            why = _residue_kind(s)
            if not why and no >= related:
                why = "related links"
            if not why and no >= tail:
                why = "navigation"
            if not why and footer_from and no > footer_from:
                why = "footer"
            if why:
                self.residue.append((no, s, why))
                continue
            out.append((no, s))
        for _, text in out:
            self.corpus.add(_strip_emoji(text))
        return out

    # ---- tables ----------------------------------------------------------------------------

    def _split_table(self, t: _Table) -> None:
        t.header_segs = [self.corpus.add(c) for c in t.header]
        for r in t.rows:
            r.segs = [self.corpus.add(c) for c in r.cells]
        tips = [j for j in range(1, len(t.header)) if plain_label(t.header[j]) in TIP_HEADERS]
        t.tip_col = tips[0] if tips else None

    def _resolve_table(self, t: _Table) -> tuple[list[str], list[tuple[int, str, str, list[str]]]]:
        """Header cells as `Name — tagline`, rows as (line, label, tip, values)."""
        header_out = [t.header[0]]
        names: list[str] = []
        columns = [t.header[0]]  # per pasted column: the subject's name, or the tip header
        name_keys: dict[str, int] = {}
        splits: dict[int, _Split] = {}
        for j in range(1, len(t.header)):
            if j == t.tip_col:
                continue
            cell = t.header[j]
            if not cell:
                cell = f"Subject {j}"
                loc = self.loc(t.line, t.header_cols[j])
                self.diags.append(diag(loc, "I013", f"empty header cell; named it {cell!r}"))
            splits[j] = _split_header(cell, self.corpus, t.header_segs)
        _distinct_names(splits)
        for j in range(1, len(t.header)):
            if j == t.tip_col:
                columns.append(t.header[j])
                continue
            loc = self.loc(t.line, t.header_cols[j])
            split = splits[j]
            name = self._unique(split.head, name_keys, loc, "subject name")
            names.append(name)
            columns.append(name)
            header_out.append(f"{name} — {split.tail}" if split.tail else name)
            if split.unsure:
                alt = split.runner_up
                alt_text = ""
                if alt is not None:
                    alt_text = (
                        f"; or {alt.head!r} — {alt.tail!r}"
                        if alt.tail
                        else f"; or {alt.head!r} with no tagline"
                    )
                why = (
                    f" ({split.collided!r} alone would name other columns too)"
                    if split.collided
                    else ""
                )
                self.diags.append(
                    diag(
                        loc,
                        "I003",
                        f"unsure where the subject name ends: took {split.head!r}"
                        + (f" — {split.tail!r}" if split.tail else " (no tagline)")
                        + why
                        + alt_text,
                    )
                )
        self.subjects.extend(names)
        if not self.deck_subjects:
            self.deck_subjects = names
        if t.tip_col is not None:
            rows = []
            taken = self._labels_taken(names)
            for i, r in enumerate(t.rows, 1):
                values = [r.cells[j] for j in range(1, len(r.cells)) if j != t.tip_col]
                label = self._unique(r.cells[0] or f"Row {i}", taken, self.loc(r.line), "label")
                rows.append((r.line, label, r.cells[t.tip_col], values))
                if r.missing:
                    self._report_short_row(t, r, label, columns)
            return header_out, rows
        colon_labels = sum(
            1 for r in t.rows if re.match(r"^[^:\s][^:]{0,59}:\s", r.cells[0])
        ) * 2 > len(t.rows)
        # pass 1, then pass 2 for unsure rows with the vocabulary of the sure labels
        splits = [
            _split_row(r.cells[0], self.corpus, r.segs[:1], names, colon_labels) for r in t.rows
        ]
        sure = [
            {_core(w).lower() for w in sp.head.split()} - CONNECTORS
            if not sp.unsure and sp.head
            else set()
            for sp in splits
        ]
        counts = Counter(w for words in sure for w in words)
        for i, (r, sp) in enumerate(zip(t.rows, splits)):
            if sp.unsure and r.cells[0]:
                vocab = _Vocab(counts, sure[i])
                splits[i] = _split_row(
                    r.cells[0], self.corpus, r.segs[:1], names, colon_labels, vocab
                )
        rows = []
        taken = self._labels_taken(names)
        for i, (r, split) in enumerate(zip(t.rows, splits), 1):
            values = [r.cells[j] for j in range(1, len(r.cells))]
            loc = self.loc(r.line)
            if not r.cells[0]:
                label = f"Row {i}"
                self.diags.append(diag(loc, "I013", f"empty first cell; named it {label!r}"))
                split = _Split(label, "", 0.0)
            label = split.head[:-1].rstrip() if split.head.endswith(":") else split.head
            label = self._unique(label, taken, loc, "label")
            if r.missing == 1 and split.tail and not _reads_like_tip(split.tail, names):
                # one cell short and what follows the label reads like a value, not a tip: the
                # pipe between the label and the first value was lost (`Pricing Per request |
                # Per ACU-hour | Per node-hour`), so that text is the first subject's value
                values = [split.tail, *values[: len(values) - 1]]
                self.diags.append(
                    diag(
                        loc,
                        "I005",
                        f"row {label!r} has {len(t.header) - 1} cells, the header has "
                        f"{len(t.header)}; the label and the first value ran together: took "
                        f"{_clip(split.tail)!r} as the value for {names[0]!r} (no tip); "
                        "check the row's values against the page",
                    )
                )
                rows.append((r.line, label, "", values))
                continue
            rows.append((r.line, label, split.tail, values))
            if r.missing:
                self._report_short_row(t, r, label, columns)
            if split.unsure:
                alt = split.runner_up
                alt_text = ""
                if alt is not None:
                    alt_text = (
                        f"; or label {alt.head!r} with tip {_clip(alt.tail)!r}"
                        if alt.tail
                        else f"; or all of it as the label {alt.head!r}"
                    )
                self.diags.append(
                    diag(
                        loc,
                        "I002",
                        f"unsure where the label ends: took {label!r}"
                        + (f" with tip {_clip(split.tail)!r}" if split.tail else " with no tip")
                        + alt_text,
                    )
                )
        return header_out, rows

    def _report_short_row(self, t: _Table, r: _Row, label: str, columns: list[str]) -> None:
        """A row that lacked cells: its last columns were padded with empty cells, so if a cell
        was lost before them, the values after it now sit under the wrong subjects."""
        names = ", ".join(repr(_clip(c, 40)) for c in columns[-r.missing :])
        self.diags.append(
            diag(
                self.loc(r.line),
                "I005",
                f"row {label!r} has {len(t.header) - r.missing} cells, the header has "
                f"{len(t.header)}; left the last {'cell' if r.missing == 1 else 'cells'} "
                f"({names}) empty: if a cell was lost earlier in the row, the values after it "
                "are under the wrong subjects; check the row against the page",
            )
        )

    def _labels_taken(self, subjects: list[str]) -> dict[str, int]:
        return self.labels.setdefault("-vs-".join(slugify(s) for s in subjects), {})

    def _unique(self, text: str, taken: dict[str, int], loc: Loc, what: str) -> str:
        """`text`, or `text (2)` when the table has it already (the parser refuses duplicates).

        `taken` holds the slugs and lower-cased texts used so far (the result is added), and
        per text the last number given, so that 10,000 repeats of a label cost 10,000 steps.
        """
        counter = "\0" + text.lower()  # cannot be a text: the page lost its control characters
        n = taken.get(counter, 1)
        new = text if n == 1 else f"{text} ({n})"
        while new.lower() in taken or slugify(new) in taken:
            n += 1
            new = f"{text} ({n})"
        taken[counter] = n
        if new != text:
            where = (
                "(in this table, or an earlier one with the same subjects)"
                if what == "label"
                else "in this table"
            )
            self.diags.append(
                diag(
                    loc,
                    "I013",
                    f"duplicate {what} {text!r} {where}; renamed it {new!r}",
                )
            )
        taken[new.lower()] = taken[slugify(new)] = 0
        return new

    # ---- body structure --------------------------------------------------------------------

    def _structure(self, content: list[tuple[int, str]], tables: list[_Table]) -> None:
        first_table = tables[0].line if tables else None
        intro = [(no, s) for no, s in content if first_table is None or no < first_table]
        body = [(no, s) for no, s in content if first_table is not None and no > first_table]
        if first_table is None:
            self.diags.append(
                diag(self.loc(1), "I008", "no pipe table found; the page yields no comparison")
            )
            # without a table the first line is still the title; the rest is body
            intro, body = content[:1], content[1:]
        events: list[tuple[int, str, object]] = [(t.line, "table", t) for t in tables]
        if len(intro) >= 3 and first_table is not None:
            no, last = intro[-1]
            last = _strip_emoji(last)
            if _is_label_like(last) and _words(last) <= 5:
                events.append((no, "heading", last))  # e.g. "Comparison Table"
                intro = intro[:-1]
        if intro:
            self.title_line, self.title = intro[0][0], self._undecorated(*intro[0], "title")
            self.description = [
                (no, self._undecorated(no, s, "description line")) for no, s in intro[1:]
            ]
        # tables go where they stood, between the body's lines
        events += [(no, "line", s) for no, s in body]
        events.sort(key=lambda e: e[0])
        lines_only = [(no, s) for no, kind, s in events if kind == "line"]
        next_text = {
            no: (lines_only[i + 1][1] if i + 1 < len(lines_only) else "")
            for i, (no, _) in enumerate(lines_only)
        }
        before_table = {events[i][0] for i in range(len(events) - 1) if events[i + 1][1] == "table"}
        section = ""  # kind of the current section: note | trap | scenario | "" (none)
        trap_run = False
        for no, kind, obj in events:
            if kind == "heading":
                self.blocks.append(_Block("heading", no, str(obj)))
                continue
            if kind == "table":
                self.blocks.append(_Block("table", no, table=obj))  # type: ignore[arg-type]
                section, trap_run = "", False
                continue
            s = _strip_emoji(str(obj))
            if (no in before_table and _is_label_like(s) and _words(s) <= 6) or self._is_heading(
                s, _strip_emoji(next_text[no])
            ):
                words = s.lower()
                if any(w in words for w in TRAP_WORDS):
                    section = "trap"
                else:
                    section = "note"
                self.blocks.append(_Block("heading", no, s.rstrip(":").strip()))
                trap_run = False
                continue
            lead = re.match(r"^([A-Za-z][A-Za-z .;]{0,20}):\s+(.*)$", s)
            if lead and lead.group(1).strip().lower() in SECTION_LEADS and not trap_run:
                self.blocks.append(_Block("heading", no, lead.group(1).strip()))
                para = lead.group(2).strip()
                self.blocks.append(_Block("para", no, para, raw=para))
                section, trap_run = "note", False
                continue
            pairs = self._scenarios(no, s) if _QARROW.search(s) else []
            if pairs and all(re.search(r"\w", p) and re.search(r"\w", a) for p, a in pairs):
                for prompt, answer in pairs:
                    self.blocks.append(_Block("scenario", no, prompt, (answer,)))
                trap_run = False
                continue
            if pairs:
                self.diags.append(
                    diag(
                        self.loc(no),
                        "I009",
                        "reads like a decision-tree line but a side of an arrow is empty; "
                        "not made a scenario",
                    )
                )
            parts = _trap_parts(s, self.corpus)
            strong = parts is not None and (
                parts.lead_caps
                or _is_caps(parts.title.split()[0] if parts.title else "")
                or TRAPPY.search(parts.title)
            )
            placeable = re.search(r"\w", s) is not None
            if placeable and (
                section == "trap" or strong or (parts is not None and (trap_run or not section))
            ):
                if parts is None:
                    parts = _TrapParts("", "", s, 0)
                self.blocks.append(
                    _Block(
                        "trap",
                        no,
                        parts.text.strip(),
                        (parts.title, parts.sep, str(parts.lead_caps)),
                        raw=s,
                    )
                )
                trap_run = True
                continue
            trap_run = False
            if section == "note":
                self.blocks.append(_Block("para", no, s, raw=s))
            else:
                self.blocks.append(_Block("unplaced", no, s))
                self.diags.append(
                    diag(
                        self.loc(no),
                        "I004",
                        f"could not place this line; kept under '## {UNPLACED_HEADING}': "
                        f"{_clip(s)!r}",
                    )
                )
        self._settle_sections()
        if not self.title:
            self.title = " vs ".join(dict.fromkeys(self.subjects)) or "Imported page"
            self.diags.append(
                diag(self.loc(1), "I012", f"no title line found; using {self.title!r}")
            )
        if not self.source:
            self.diags.append(
                diag(
                    self.loc(1),
                    "I007",
                    "no attribution line (like 'Publisher · EXAM-01 · 2026-01-31') found; "
                    "add `source:` to the front matter by hand",
                )
            )

    def _settle_sections(self) -> None:
        """Make each page section all traps or all note, in the page's order.

        A section under a heading without "trap" in it may hold both trap-like paragraphs (an
        ALL-CAPS lead, `Don't confuse:`) and plain ones. Split between a note and a trap list,
        its paragraphs would be torn apart (and a note after a trap would need a heading the
        page does not have), so the section is settled as a whole: traps when its heading warns
        (`Watch out`, `Common mistakes`) or when traps are at least as many as plain paragraphs
        (unless the heading names a summary or note: `Summary`, `Bottom line`); else a note,
        the traps' text kept as it stands.
        """
        bounds = [i for i, b in enumerate(self.blocks) if b.kind in ("heading", "table")]
        for n, h in enumerate(bounds):
            head = self.blocks[h]
            if head.kind != "heading" or any(w in head.text.lower() for w in TRAP_WORDS):
                continue
            end = bounds[n + 1] if n + 1 < len(bounds) else len(self.blocks)
            body = self.blocks[h + 1 : end]
            paras = [b for b in body if b.kind == "para"]
            traps = [b for b in body if b.kind == "trap"]
            plain = head.text.lower()
            note_heading = plain in SECTION_LEADS or bool(
                re.search(r"\bsummary\b|\btakeaways?\b|\boverview\b", plain)
            )
            warns = bool(TRAPPY.search(head.text)) and not note_heading
            if not paras or not (traps or warns):
                continue  # a warning heading (`Common mistakes`) makes plain paragraphs traps
            as_traps = bool(TRAPPY.search(head.text)) or (
                len(traps) >= len(paras) and not note_heading
            )
            for b in body:
                if as_traps and b.kind == "para":
                    parts = _trap_parts(b.raw, self.corpus) or _TrapParts("", "", b.raw, 0)
                    b.kind, b.text = "trap", parts.text.strip()
                    b.extra = (parts.title, parts.sep, str(parts.lead_caps))
                elif not as_traps and b.kind == "trap":
                    b.kind, b.text, b.extra = "para", b.raw, ()

    def _undecorated(self, no: int, s: str, what: str) -> str:
        """`s` without the emoji at its ends, each dropped run reported (`I001`)."""
        plain = _strip_emoji(s)
        s = s.strip()
        at = s.find(plain) if plain else 0
        for text, col in ((s[:at], 1), (s[at + len(plain) :], at + len(plain) + 1)):
            if text.strip():
                col += len(text) - len(text.lstrip())
                self.diags.append(
                    diag(
                        self.loc(no, col),
                        "I001",
                        f"dropped the decoration {text.strip()!r} from the {what}",
                    )
                )
        return plain

    def _is_heading(self, s: str, nxt: str) -> bool:
        """A short Title Case (or ALL-CAPS) line with no end punctuation, followed by text."""
        if not s or _words(s) > 8 or len(s) > 60:
            return False
        if re.search(r"[.,;!]$", s) or _QARROW.search(s) or "→" in s:
            return False
        if not (s[0].isupper() or s[0].isdigit()):
            return False
        if sum(1 for w in s.split() if _kind(w) == "low") > (1 if _words(s) > 3 else 2):
            return False
        return bool(nxt) and (
            _words(nxt) >= 6 or bool(re.search(r"[.!?]$", nxt)) or bool(_QARROW.search(nxt))
        )

    def _scenarios(self, no: int, s: str) -> list[tuple[str, str]]:
        """The `prompt → answer` pairs of a decision-tree line.

        Every `?` followed by an arrow starts an answer. An arrow without a `?` (`Session store
        -> Amazon ElastiCache`) after a sentence end in an answer is one more scenario, its
        prompt the sentence before it; an arrow in brackets (`(User Pool → Identity Pool)`)
        belongs to the answer; any other arrow in an answer is reported (`I009`).
        """
        s = _LIST_MARKER.sub("", s)
        depth, level = 0, []
        for ch in s:
            level.append(depth)
            depth = max(0, depth + (ch in "([{") - (ch in ")]}"))
        arrows: list[tuple[int, int]] = []  # (start of the prompt's end, end of the arrow)
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
                self.diags.append(
                    diag(
                        self.loc(no, m.start() + 1),
                        "I009",
                        f"an arrow inside the answer after {_clip(s[: arrows[-1][0] + 1])!r} "
                        "does not follow a sentence end; kept in that answer (if it starts "
                        "another scenario, put that on a line of its own)",
                    )
                )
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
                    self.diags.append(
                        diag(
                            self.loc(no),
                            "I009",
                            "could not find where the answer after "
                            f"{_clip(prompt)!r} ends; the next question starts at its '?'",
                        )
                    )
                    cut = s.rfind(" ", answer_start, nxt)
                    end = cut if cut > answer_start else nxt
            out.append((prompt, s[answer_start:end].strip()))
            start = end
        return out

    # ---- residue report --------------------------------------------------------------------

    def _report_residue(self) -> None:
        groups: list[list[tuple[int, str, str]]] = []
        for item in self.residue:
            gap = item[0] - groups[-1][-1][0] if groups else 99
            if gap == 1 or (gap <= 2 and item[2] == groups[-1][-1][2]):
                groups[-1].append(item)
            else:
                groups.append([item])
        for g in groups:
            whys = list(dict.fromkeys(why for _, _, why in g))
            shown = ", ".join(repr(_clip(s, 80)) for _, s, _ in g[:10])
            if len(g) > 10:
                shown += f", … ({len(g) - 10} more)"
            what = "line" if len(g) == 1 else f"{len(g)} lines"
            self.diags.append(
                diag(
                    self.loc(g[0][0]),
                    "I001",
                    f"dropped {what} of page residue ({', '.join(whys)}): {shown}",
                )
            )

    # ---- output ----------------------------------------------------------------------------

    def _deck_and_tags(self) -> tuple[str, list[str]]:
        # an exam code anywhere in the attribution (`AZ-700 · 2026-03-01 · Contoso Learning`)
        codes = list(dict.fromkeys(p for p in self.source_parts if _EXAM_CODE.match(p)))
        subjects = self.deck_subjects
        topic = " vs ".join(subjects) if len(subjects) >= 2 else self.title
        topic = topic.replace("::", ":")
        return "::".join([*codes, topic]), [slugify(c) for c in codes]

    def _render(self) -> str:
        deck, tags = self._deck_and_tags()
        doc_id = self.doc_id or title_slug_of(self.title)
        out = ["---", f"id: {_yaml_scalar(doc_id)}", f"deck: {_yaml_scalar(deck)}"]
        if tags:
            out.append("tags: [" + ", ".join(tags) + "]")
        if self.source:
            out.append(f"source: {_yaml_scalar(self.source)}")
        out += ["---", "", f"# {_esc(self.title, block_start=False)}", ""]
        for _, para in self.description:
            out += [_esc(para), ""]
        expected_traps: list[tuple[str, str]] = []
        unplaced: list[str] = []
        ntables = 0
        current = ""  # "trap" | "scenario" | "note" | "table" | "": what the output is in
        note_heading = ""  # the page heading whose section we are in
        pending_list = False
        prev = ""
        nxt_kind = {id(a): b.kind for a, b in zip(self.blocks, self.blocks[1:])}
        for b in self.blocks:
            kind_before, prev = prev, b.kind
            if pending_list and b.kind not in ("scenario", "trap"):
                out.append("")
                pending_list = False
            if b.kind == "table" and b.table is not None:
                ntables += 1
                if kind_before != "heading":
                    out += [f"## Comparison{'' if ntables == 1 else f' {ntables}'}", ""]
                out += self._table_lines(b.table)
                out.append("")
                current = "table"
                continue
            if b.kind == "heading":
                text = b.text
                kind = "trap" if any(w in text.lower() for w in TRAP_WORDS) else "note"
                if kind == "note" and nxt_kind.get(id(b)) == "trap":
                    # a heading over traps (`Watch out`, `Common mistakes`): the parser reads a
                    # trap list only under a heading that says "trap", and a heading of its own
                    # (`Exam traps`) under it would leave the page's heading empty
                    text, kind = f"{text} — {TRAPS_HEADING.lower()}", "trap"
                out += [f"## {_esc(text, block_start=False)}", ""]
                current, note_heading = kind, b.text
                continue
            if b.kind == "para":
                if current in ("trap", "table", ""):
                    # back to the page's section after a run of traps: re-open it
                    heading = f"{note_heading} (continued)" if note_heading else "Notes"
                    out += [f"## {_esc(heading, block_start=False)}", ""]
                    current = "note"
                out += [_esc(b.text), ""]
                continue
            if b.kind == "unplaced":
                unplaced.append(b.text)
                continue
            if b.kind == "scenario":
                if current in ("trap", "table", ""):
                    if pending_list:
                        out.append("")
                    out += [f"## {DECISION_HEADING}", ""]
                    current = "scenario"
                prompt, answer = b.text, b.extra[0]
                out.append(f"- {_esc(prompt)} → {_esc(answer, block_start=False)}")
                pending_list = True
                continue
            if b.kind == "trap":
                if current != "trap":
                    if pending_list:
                        out.append("")
                    out += [f"## {TRAPS_HEADING}", ""]
                    current = "trap"
                    pending_list = False
                title, sep, lead = b.extra
                md, plain_title, plain_text = self._trap_markdown(
                    b.line, title, sep, b.text, int(lead)
                )
                out.append("- " + md)
                expected_traps.append((plain_title, plain_text))
                pending_list = True
                continue
        if pending_list:
            out.append("")
        if unplaced:
            out += [f"## {UNPLACED_HEADING}", ""]
            for text in unplaced:
                out += [_esc(text), ""]
        markdown = "\n".join(out).rstrip("\n") + "\n"
        self._self_check(markdown, expected_traps)
        return markdown

    def _table_lines(self, t: _Table) -> list[str]:
        header, rows = t.out_header, t.out_rows
        has_tips = any(tip for _, _, tip, _ in rows)
        cols = [*header, TIP_HEADER] if has_tips else header
        lines = [
            "| " + " | ".join(_esc(c, cell=True, block_start=False) for c in cols) + " |",
            "|" + "---|" * len(cols),
        ]
        for _, label, tip, values in rows:
            cells = [label, *values] + ([tip] if has_tips else [])
            lines.append(
                "| " + " | ".join(_esc(c, cell=True, block_start=False) for c in cells) + " |"
            )
        return lines

    def _trap_markdown(
        self, line: int, title: str, sep: str, text: str, lead_caps: int
    ) -> tuple[str, str, str]:
        """The trap as a list item's Markdown, plus its title and text as the parser should
        read them back (bold markers aside)."""
        spans = [
            sp
            for sp in _emphasis_spans(text, self.corpus, lead_caps)
            if not _given_away(text, sp, title)
        ]
        if not spans:
            spans = next(
                (
                    [sp]
                    for sp in _key_term_candidates(text, self.subjects)
                    if not _given_away(text, sp, title)
                ),
                [],
            )
        if not spans:
            self.diags.append(
                diag(
                    self.loc(line),
                    "I006",
                    "no key term stands out in this trap (no ALL-CAPS emphasis, no subject name);"
                    " mark the term to recall with **bold** or the trap yields no cloze card",
                )
            )
        body, plain = [], []
        pos = 0
        for a, b in [*spans, (len(text), len(text))]:
            piece = _esc(text[pos:a], block_start=pos == 0 and not title)
            body.append(piece)
            plain.append(piece)
            if b > a:
                term = _esc(text[a:b], block_start=False)
                body.append("**" + term + "**")
                plain.append(term)
            pos = b
        md = "".join(body)
        if title:
            t = _esc(title, block_start=False)
            md = f"**{t}:** {md}" if sep == ":" else f"**{t}** — {md}"
            return md, t, "".join(plain).strip()
        return md, "", "".join(plain).strip()

    def _self_check(self, markdown: str, traps: list[tuple[str, str]]) -> None:
        doc, diags = parse_text(markdown, self.path)
        for d in diags:
            if d.code == "P003":  # the page, not the importer: too much for one source
                self.diags.append(
                    diag(
                        self.loc(1),
                        "I014",
                        f"the page makes a source too large to build ({d.message}); "
                        "split the page and import each part",
                    )
                )
            elif d.is_error:
                self.diags.append(
                    diag(
                        self.loc(1),
                        "I011",
                        f"the generated source does not check cleanly ({d.code}: {d.message}); "
                        "please report this page",
                    )
                )
        got = [(t.title, _unbold(t.text)) for t in doc.traps]
        want = [(title, re.sub(r"\s+", " ", text)) for title, text in traps]
        if got != want:
            self.diags.append(
                diag(
                    self.loc(1),
                    "I011",
                    "the generated traps read back differently; please report this page",
                )
            )


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(text: str) -> str:
    """Normalised line ends; control characters and lone surrogates (never content) removed."""
    return _CONTROL.sub("", normalise_text(text))


def _page_lines(text: str) -> list[str]:
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
            and not _residue_kind(" | ".join(cells))
        ):
            j = i
            while j < len(lines) and "\t" in lines[j] and lines[j].strip():
                keep.add(j)
                j += 1
            i = j
            continue
        i += 1
    return [s if no in keep else s.replace("\t", " ") for no, s in enumerate(lines)]


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _unbold(text: str) -> str:
    return text.replace("**", "")


def _shouted(word: str, corpus: _Corpus) -> bool:
    """An ordinary word written in capitals for emphasis, not an acronym: the page also writes
    it in lower case (`ONLY`, `not`), or it is too long for an acronym (`VISIBILITY`)."""
    core = _core(word)
    letters = sum(ch.isalpha() for ch in core)
    return letters >= 2 and (core.lower() in corpus.lower_words or letters >= 6)


def _emphasis_spans(text: str, corpus: _Corpus, lead_caps: int) -> list[tuple[int, int]]:
    """Character spans of the terms the page shouts: runs of ALL-CAPS words that are ordinary
    words written in capitals (the page also uses them in lower case), not bare acronyms."""
    toks = _tokens(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if not _is_caps(toks[i][0]):
            i += 1
            continue
        j = i
        while j < len(toks) and (_is_caps(toks[j][0]) or (j > i and toks[j][0] in ("&", "/", "+"))):
            j += 1
            if toks[j - 1][0].endswith((",", ";", ":", ".", "?", "!")):
                break
        while j > i and not _is_caps(toks[j - 1][0]):
            j -= 1
        run = [t for t, _, _ in toks[i:j]]
        emphatic = i < lead_caps or any(_shouted(w, corpus) for w in run)
        if emphatic:
            a = toks[i][1] + (len(toks[i][0]) - len(toks[i][0].lstrip(_OPEN_PUNCT)))
            last = toks[j - 1]
            b = last[2] - (len(last[0]) - len(last[0].rstrip(_CLOSE_PUNCT)))
            if b > a:
                spans.append((a, b))
        i = max(j, i + 1)
    return spans


def _key_term_candidates(text: str, subjects: Sequence[str]) -> list[tuple[int, int]]:
    """Spans that could be a trap's cloze when the page shouts nothing: mentions of a subject
    (its name, a tail of it like `Event Hubs` or an acronym-like `SQS`, its singular `Identity
    Pool`, its initials `NLB`), earliest first; then numbers with a unit (`256 KB`)."""
    patterns: list[str] = []
    for name in dict.fromkeys(subjects):
        words = name.split()
        for k in range(len(words)):
            tail = words[k:]
            if k and len(tail) == 1 and not re.search(r"[A-Z0-9]", tail[0][1:]):
                continue  # a lone common word of a longer name (`Pools`) names nothing
            phrase = " ".join(tail)
            if len(phrase) >= 3:
                patterns.append(
                    re.escape(phrase[:-1]) + "s?" if phrase.endswith("s") else re.escape(phrase)
                )
        initials = "".join(w[0] for w in words if w[:1].isupper())
        if len(initials) >= 2 and len(words) >= 2:
            patterns.append(re.escape(initials))
    found = {
        (m.start(), m.end())
        for pat in patterns
        for m in re.finditer(r"(?<![\w-])(?:" + pat + r")(?![\w-])", text)
    }
    names = sorted(found, key=lambda sp: (sp[0], sp[0] - sp[1]))
    return names + [(m.start(), m.end()) for m in _QUANTITY.finditer(text)]


def _given_away(text: str, span: tuple[int, int], title: str) -> bool:
    """Whether the rest of the card (title, text around the span) says the span's words again,
    so that hiding them teaches nothing (the lint rule L109 reports such clozes)."""
    words = re.findall(r"\w+", text[span[0] : span[1]].lower())
    if not words:
        return True
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    parts = [re.escape(w) for w in words[:-1]] + [re.escape(last) + "s?"]
    pattern = r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)"
    rest = f"{title} . {text[: span[0]]} … {text[span[1] :]}"
    return re.search(pattern, rest, re.IGNORECASE) is not None


def _title_head(title: str) -> str:
    head = re.split(r"\s+[—–|]\s+|:\s+", title, maxsplit=1)[0]
    return head if _words(head) >= 2 else title


def title_slug_of(title: str) -> str:
    """File stem and deck id for a page title: its main part, slugified, at most 60 characters."""
    slug = slugify(_title_head(title)) or "imported"
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug


# --------------------------------------------------------------------------------------------
# Public API


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


def title_slug(text: str) -> str:
    """The default file stem for a pasted page (from its title line)."""
    imp = _Importer(path="", lines=_page_lines(_clean(text)), doc_id=None)
    tables, used = imp._find_tables()
    content = imp._classify(used)
    first = tables[0].line if tables else None
    intro = [s for no, s in content if first is None or no < first]
    return title_slug_of(_strip_emoji(intro[0])) if intro else "imported"


def import_page(
    text: str, path: str = "<stdin>", doc_id: str | None = None
) -> tuple[str, list[Diagnostic]]:
    """Turn a pasted study page into a format-v1 source. Returns (Markdown, diagnostics).

    `path` names the page in diagnostics (line numbers are the page's); `doc_id` is written as
    the front matter `id` (default: the slug of the title).
    """
    text = _clean(text)
    if not text.strip():
        return "", [diag(Loc(path, 1, 1), "I010", "page is empty")]
    imp = _Importer(path=path, lines=_page_lines(text), doc_id=doc_id)
    markdown = imp.run()
    diags = sorted(imp.diags, key=lambda d: (d.loc.line, d.loc.col, d.code))
    return markdown, diags


__all__ = ["decode_page", "import_page", "title_slug", "title_slug_of"]
