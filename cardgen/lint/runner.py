"""Running lint on one document: every rule of the table, then the ignore lists, then L100.

A rule is switched off for one file with front matter `lint: {ignore: [L101]}` and for a run with
`cardgen check --ignore L101`; an entry may be a prefix (`L10` switches off L100-L109, `L` all of
them) and may name one fact (`L101:pricing-model`: that row only). A front-matter entry that
names no rule or no fact, or that silences nothing, is itself reported (L100), so silencing
cannot go stale unseen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cardgen.cards import scenario_keys, trap_keys
from cardgen.diagnostics import Diagnostic, codes, diag, sort_key
from cardgen.lint.context import Context
from cardgen.lint.rules import TABLE
from cardgen.model import Card, Document, Loc


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of an ignore list: `L101` (a code or a prefix such as `L10` or `L`) switches the
    rule off everywhere; `L101:pricing-model` only for one fact, named by its id (a row's id, the
    slug of its attribute or its `{#id}`; `trap/<slug of the title>`; `scenario/<slug>`)."""

    raw: str
    code: str  # upper case
    fact: str  # lower case; "" for every fact

    @classmethod
    def parse(cls, text: str) -> IgnoreEntry:
        code, _, fact = text.strip().partition(":")
        return cls(text.strip(), code.strip().upper(), fact.strip().lower())

    @property
    def known(self) -> bool:
        """Whether the entry selects some registered lint code (L100 included)."""
        return bool(self.code) and any(c.startswith(self.code) for c in codes("L"))

    def matches(self, code: str, fact: str) -> bool:
        return self.known and code.startswith(self.code) and (not self.fact or self.fact == fact)


def unknown_codes(patterns: Iterable[str]) -> list[str]:
    """The entries of an ignore list that select no lint rule (`L10` and `L` are valid)."""
    return [p for p in patterns if not IgnoreEntry.parse(p).known]


def fact_ids(doc: Document) -> dict[Loc, str]:
    """The id of the fact at each location, as `lint: ignore` entries name it."""
    ids: dict[Loc, str] = {}
    for comp in doc.comparisons:
        for row in comp.rows:
            ids[row.loc] = row.id
    for key, trap in zip(trap_keys(doc.traps), doc.traps):
        ids[trap.loc] = f"trap/{key}"
    for key, sc in zip(scenario_keys(doc.scenarios), doc.scenarios):
        ids[sc.loc] = f"scenario/{key}"
    return ids


def lint(doc: Document, cards: Sequence[Card], ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Card-quality warnings for one document and its cards, sorted by location.

    `ignore` holds the entries switched off for this run (see `IgnoreEntry`); the document's own
    `lint_ignore` (front matter) applies too, and its stale entries are reported (L100).
    """
    ctx = Context(doc, cards)
    found: list[Diagnostic] = []
    for rule in TABLE.values():
        found += rule(ctx)
    ids = fact_ids(doc)
    entry_locs = _file_entries(doc)
    kept: list[Diagnostic] = []
    used: set[IgnoreEntry] = set()
    for d in sorted(dict.fromkeys(found), key=sort_key):
        hits = [e for e in entry_locs if e.matches(d.code, ids.get(d.loc, ""))]
        used.update(hits)
        if not hits:
            kept.append(d)
    kept += _stale(entry_locs, used, set(ids.values()))
    run_entries = [IgnoreEntry.parse(p) for p in ignore if p.strip()]
    kept = [d for d in kept if not any(e.matches(d.code, ids.get(d.loc, "")) for e in run_entries)]
    return sorted(kept, key=sort_key)


def _file_entries(doc: Document) -> dict[IgnoreEntry, Loc]:
    """The front matter's `lint: ignore` entries (blank ones skipped, repeats once), each at the
    line it is written on (line 1 when the reader did not record one)."""
    top = Loc(doc.path, 1, 1)
    entry_locs: dict[IgnoreEntry, Loc] = {}
    for i, p in enumerate(doc.lint_ignore):
        if p.strip():
            where = doc.lint_ignore_locs[i] if i < len(doc.lint_ignore_locs) else top
            entry_locs.setdefault(IgnoreEntry.parse(p), where)
    return entry_locs


def _stale(
    entry_locs: dict[IgnoreEntry, Loc], used: set[IgnoreEntry], known_facts: set[str]
) -> list[Diagnostic]:
    """L100 for each front-matter entry that names no rule, names no fact of the file, or
    silenced nothing (`used` holds the entries that silenced a warning)."""
    rules = sorted(TABLE)
    out: list[Diagnostic] = []
    for e, where in entry_locs.items():
        if not e.known:
            problem = f"names no lint rule ({rules[0]}-{rules[-1]})"
        elif e.fact and e.fact not in known_facts:
            problem = f"names no row, trap or scenario of this file ({e.fact!r})"
        elif e not in used:
            problem = "silences nothing here any more; remove it"
        else:
            continue
        out.append(diag(where, "L100", f"`lint: ignore` entry {e.raw!r} {problem}"))
    return out
