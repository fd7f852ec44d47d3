"""The lock file's reader and writer (cardgen/lock.py): decks are read one at a time and kept
packed, and must give exactly what reading the whole document with `json.loads` gave (the
reference below is the reader cardgen had before: it is the specification)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardgen import lock as lockmod
from cardgen.lock import LOCK_FORMAT, LOCK_VERSION, DeckLock, Entry, Lock, LockError

from .conftest import fuzz_settings


def reference_parse(text: str) -> Lock:
    """The whole-document reader: json.loads, then the same checks in the same order."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        raise ValueError("not a cardgen lock file")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError("missing `version`")
    if version > LOCK_VERSION:
        raise ValueError(f"written by a newer cardgen (lock version {version})")
    lock = Lock()
    decks = data.get("decks", {})
    models = data.get("models", {})
    if not isinstance(decks, dict):
        raise LockError("`decks` must be an object", "decks")
    if not isinstance(models, dict):
        raise LockError("`models` must be an object", "models")
    for name, obj in models.items():
        lock.models[str(name)] = lockmod._located(name, obj)
    for deck_id, obj in decks.items():
        lock.decks[deck_id] = lockmod._deck(deck_id, obj)
    return lock


def outcome(read, text: str) -> tuple:
    try:
        return ("ok", lockmod.dumps(read(text)))
    except json.JSONDecodeError as exc:
        return ("json", exc.lineno, exc.colno)  # where: what the B010 diagnostic shows
    except LockError as exc:
        return ("lock", str(exc), exc.near)
    except ValueError as exc:
        return ("value", str(exc))


# --------------------------------------------------------------------------------------------
# Strategies: lock documents, valid or a little off, laid out in different ways

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_hex = st.text("0123456789abcdef", min_size=1, max_size=16)
_entry = st.fixed_dictionaries(
    {"hash": _hex, "mod": st.integers(0, 2_000_000_000)},
    optional={
        "model": st.sampled_from(["qa", "cloze"]),
        "cards": st.integers(1, 30),
        "identity": _text,
        "facts": st.lists(_hex, max_size=3),
    },
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**13) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_odd_entry = _entry | _json  # sometimes not an entry at all
_deck = st.fixed_dictionaries(
    {},
    optional={
        "notes": st.dictionaries(_text, _odd_entry, max_size=5) | _json,
        "removed": st.dictionaries(_text, _entry, max_size=3),
        "source": _text | _json,
    },
)
_document = st.fixed_dictionaries(
    {
        "format": st.sampled_from([LOCK_FORMAT] * 8 + ["other"]),
        "version": st.sampled_from([1] * 8 + [0, 2, "1"]),
    },
    optional={
        "decks": st.dictionaries(_text, _deck, max_size=4) | _json,
        "models": st.dictionaries(_text, _entry, max_size=2),
    },
)


@st.composite
def lock_texts(draw) -> str:
    doc = draw(_document)
    layout = draw(st.sampled_from(["cardgen", "compact", "indent", "shuffled"]))
    if layout == "cardgen":
        try:
            return lockmod.dumps(reference_parse(json.dumps(doc))).decode("utf-8")
        except ValueError:
            layout = "indent"
    if layout == "shuffled":
        doc = dict(reversed(list(doc.items())))
    indent = 2 if layout != "compact" else None
    return json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans()))


@st.composite
def damaged(draw) -> str:
    text = draw(lock_texts())
    if not text or draw(st.integers(0, 2)):  # a third damaged
        return text
    at = draw(st.integers(0, len(text) - 1))
    how = draw(st.sampled_from(["cut", "drop", "insert"]))
    if how == "cut":
        return text[:at]
    if how == "drop":
        return text[:at] + text[at + 1 :]
    return text[:at] + draw(st.sampled_from(list('{}[],:" x1\n'))) + text[at:]


@fuzz_settings(400)
@given(damaged())
def test_reading_deck_by_deck_gives_what_the_whole_document_reader_gave(text: str) -> None:
    assert outcome(lockmod.parse, text) == outcome(reference_parse, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"format": "cardgen-lock", "version": 1}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}}} x',
        '{"format": "cardgen-lock", "version": 1, "decks": 3}',
        '{"format": "cardgen-lock", "version": 1, "decks": {}, "decks": 3}',
        '{"format": "cardgen-lock", "version": 1, "decks": 3, "decks": {}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {"notes": {"k": 1}}}}',
        '{"format": "cardgen-lock", "version": 9, "decks": {"a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}, "a": []}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": [], "a": {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {},}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a" {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {} "b": {}}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {"a": {}}',
        '{"format": "cardgen-lock", "version": 1, "decks": {3: {}}}',
        '  {"version": 1, "decks": {"a": {"removed": {}}}, "format": "cardgen-lock"}  \n',
    ],
)
def test_edge_cases_match_the_whole_document_reader(text: str) -> None:
    assert outcome(lockmod.parse, text) == outcome(reference_parse, text)


def _deck_lock(n: int) -> DeckLock:
    return DeckLock(
        {f"d/{i}": Entry(f"{i:04x}", 100 + i, facts=(f"f{i}",)) for i in range(n)},
        {"d/gone": Entry("dead", 7, "cloze", 3)},
    )


def test_decks_are_kept_packed_and_decoded_on_lookup() -> None:
    lock = Lock()
    lock.decks["b"] = _deck_lock(3)
    lock.decks["a"] = _deck_lock(1)
    assert sorted(lock.decks) == ["a", "b"] and len(lock.decks) == 2
    packed = lock.decks.packed("b")
    assert isinstance(packed, str) and lockmod.unpack(packed) == _deck_lock(3)
    assert lock.decks["b"] == _deck_lock(3) and lock.decks.get("c") is None
    # what the file holds is the packed text, verbatim
    text = lockmod.dumps(lock).decode("utf-8")
    assert packed in text and lockmod.parse(text).decks.packed("b") == packed
    assert lockmod.dumps(lockmod.parse(text)) == lockmod.dumps(lock)


def test_deck_digest_follows_the_entries_not_the_layout() -> None:
    compact = json.dumps(
        {
            "format": LOCK_FORMAT,
            "version": 1,
            "decks": {"x": {"notes": {"k": {"mod": 1, "hash": "h"}}}},
        }
    )
    read = lockmod.parse(compact)
    canonical = lockmod.parse(lockmod.dumps(read).decode("utf-8"))
    assert lockmod.deck_digest(read.decks.packed("x")) == lockmod.deck_digest(
        canonical.decks.packed("x")
    )
    changed = Lock()
    changed.decks["x"] = DeckLock({"k": Entry("h", 2)})
    assert lockmod.deck_digest(changed.decks.packed("x")) != lockmod.deck_digest(
        read.decks.packed("x")
    )
    assert lockmod.deck_digest(None) == "none"


def test_merged_replaces_the_decks_built_and_keeps_the_others() -> None:
    lock = Lock()
    lock.decks["a"] = _deck_lock(1)
    lock.decks["b"] = _deck_lock(2)
    new_b = lockmod.pack(_deck_lock(5))
    out = lockmod.merged(lock, [("b", new_b), ("c", lockmod.pack(DeckLock()))], {})
    assert out.decks["a"] == _deck_lock(1) and out.decks["b"] == _deck_lock(5)
    assert out.decks["c"] == DeckLock()
    assert lock.decks["b"] == _deck_lock(2)  # the lock read is left as it was


def _spec(key: str, h: str = "new", model: str = "cloze") -> lockmod.Spec:
    return lockmod.Spec(key, h, model, 1, (f"fact-{h}",))


def _prev(*keys: str, model: str = "cloze") -> DeckLock:
    return DeckLock({k: Entry(f"old-{k}", 100, model, 1, facts=(f"fact-old-{k}",)) for k in keys})


def test_a_reworded_trap_or_scenario_continues_its_note() -> None:
    old = "d/trap/lambda-triggers-are-only-on-user-pools-not"
    new = "d/trap/lambda-triggers-exist-only-on-user-pools-not"
    plan = lockmod.reconcile([_spec(new)], _prev(old), clock=200)
    assert [(d.identity, d.status) for d in plan.notes] == [(old, "changed")]
    assert plan.renamed == [(old, new)] and plan.removed_now == []
    # the best of several candidates, one to one
    olds = ("d/scenario/which-service-issues-jwt-tokens", "d/scenario/which-service-gives-aws-keys")
    news = [_spec("d/scenario/which-service-issues-jwts-tokens", "a")]
    plan = lockmod.reconcile(news, _prev(*olds), clock=200)
    assert plan.notes[0].identity == olds[0] and plan.removed_now == [olds[1]]


@pytest.mark.parametrize(
    "old, new, model",
    [
        # a different trap that shares a few words: not a rewording
        (
            "d/trap/identity-pools-do-not-authenticate-users",
            "d/trap/identity-pools-store-no-profiles-at-all",
            "cloze",
        ),
        # fewer than 3 shared words
        ("d/trap/pricing-gotcha", "d/trap/pricing-trap", "cloze"),
        # a row's cards end in their kind: a row id never matches by its words
        ("d/user-pools-pricing-model/a/forward", "d/identity-pools-pricing-model/a/forward", "qa"),
        # another note type
        (
            "d/trap/lambda-triggers-are-only-on-user-pools",
            "d/trap/lambda-triggers-exist-only-on-user-pools",
            "qa-vs-cloze",
        ),
    ],
)
def test_unrelated_keys_are_not_taken_for_rewordings(old: str, new: str, model: str) -> None:
    old_model, new_model = ("qa", "cloze") if model == "qa-vs-cloze" else (model, model)
    plan = lockmod.reconcile([_spec(new, model=new_model)], _prev(old, model=old_model), 200)
    assert [d.status for d in plan.notes] == ["new"] and plan.removed_now == [old]


def test_a_tie_between_rewordings_is_no_match() -> None:
    # both old traps are 7/9 like the new one: which one it continues is a guess
    olds = (
        "d/trap/identity-pools-never-support-mfa-for-guest-users",
        "d/trap/identity-pools-never-support-saml-for-guest-users",
    )
    new = _spec("d/trap/identity-pools-never-support-federation-for-guest-users")
    plan = lockmod.reconcile([new], _prev(*olds), clock=200)
    assert [d.status for d in plan.notes] == ["new"] and plan.removed_now == sorted(olds)


def test_a_rewording_never_revives_a_fact_removed_by_an_earlier_build() -> None:
    old = "d/trap/identity-pools-lack-mfa-entirely"
    prev = DeckLock({}, {old: Entry("old", 100, "cloze", 1, facts=("fact-old",))})
    plan = lockmod.reconcile([_spec("d/trap/identity-pools-lack-saml-entirely")], prev, 200)
    assert [d.status for d in plan.notes] == ["new"] and plan.renamed == []
    assert [k for k, _ in plan.tombstones] == [old]


def test_a_scenario_with_a_new_question_and_an_old_answer_is_new() -> None:
    from cardgen.cards import build_cards
    from cardgen.source import parse_text

    def specs(question: str) -> list[lockmod.Spec]:
        doc, _ = parse_text(f"# T\n\n## Decision tree\n\n- {question} → Identity Pools.\n", "t.md")
        assert doc is not None
        cards = build_cards(doc)
        facts = lockmod.fact_fingerprints(doc, cards)
        return [lockmod.Spec(c.key, c.key + "-h", "qa", 1, facts[c.key]) for c in cards]

    first = lockmod.reconcile(
        specs("Does the question involve temporary AWS credentials?"), None, 100
    )
    plan = lockmod.reconcile(
        specs("An app must let anonymous visitors upload analytics events to Kinesis?"),
        first.deck,
        200,
    )
    assert [d.status for d in plan.notes] == ["new"] and len(plan.removed_now) == 1


_entries = st.dictionaries(
    _text,
    st.builds(
        Entry,
        hash=_hex,
        mod=st.integers(0, 10**10),
        model=st.sampled_from(["qa", "cloze"]),
        cards=st.integers(1, 5),
        identity=_text,
        facts=st.lists(_hex, max_size=2).map(tuple),
    ),
    max_size=6,
)


@fuzz_settings(200)
@given(_entries, _entries, _text)
def test_the_facts_of_a_packed_deck_are_read_without_decoding_it(notes, removed, source) -> None:
    deck = DeckLock(notes, removed, source)
    assert lockmod.packed_facts(lockmod.pack(deck)) == lockmod.fact_set(deck)


def _b010(tmp_path, text: str) -> str:
    path = tmp_path / "cardgen.lock"
    path.write_text(text, encoding="utf-8")
    lock, diags = lockmod.read(path, "cardgen.lock")
    assert lock is None and len(diags) == 1
    return diags[0].format()


def test_b010_points_into_the_deck_that_is_damaged(tmp_path) -> None:
    good = '{"hash": "h", "mod": 1}'
    bad = '{"hash": "h", "mod": "1"}'
    head = '{"format": "cardgen-lock", "version": 1, "decks": {\n'
    # a repeated deck id whose second copy is bad: the second copy's entry
    text = head + f' "a": {{"notes": {{"k": {good}}}}},\n "a": {{"notes": {{"k": {bad}}}}}\n}}}}'
    assert _b010(tmp_path, text).startswith("cardgen.lock:3:")
    # a deck named like a field of another deck: the deck itself, not the field
    text = head + f' "b": {{"notes": {{"k": {good}}}}},\n "notes": []\n}}}}'
    assert _b010(tmp_path, text).startswith("cardgen.lock:3:")


def _deck_specs(markdown: str) -> list[lockmod.Spec]:
    """Specs as a build makes them (content hash: here, of the card's prompt and answer)."""
    from cardgen.cards import build_cards
    from cardgen.source import parse_text

    doc, diags = parse_text(markdown, "t.md")
    assert doc is not None, diags
    cards = build_cards(doc)
    facts = lockmod.fact_fingerprints(doc, cards)
    return [
        lockmod.Spec(c.key, lockmod.digest(c.prompt, c.answer), "qa", 1, facts[c.key])
        for c in cards
    ]


def test_a_shorter_new_text_never_takes_a_longer_siblings_old_key() -> None:
    parent = (
        "Does the application need to sign users in with an identity provider that the "
        "company runs?"
    )
    tree = "# T\n\n## Decision tree\n\n- " + parent + "\n{branches}"
    saml = "  - Yes, through a corporate SAML directory → User Pools with SAML.\n"
    no = "  - No → Cognito hosted sign-in.\n"
    first = lockmod.reconcile(_deck_specs(tree.format(branches=saml + no)), None, 100)
    keys = {d.key: d.identity for d in first.notes}
    added = "  - Yes → User Pools.\n"
    plan = lockmod.reconcile(_deck_specs(tree.format(branches=saml + added + no)), first.deck, 200)
    status = {d.key: (d.identity, d.status) for d in plan.notes}
    # the SAML branch (same content) keeps its note; the new branch gets a GUID of its own
    saml_now = [k for k in status if k.endswith("-yes-through")]
    assert len(saml_now) == 1 and status[saml_now[0]][1] == "unchanged"
    assert status[saml_now[0]][0] in keys.values()
    new = [v for v in status.values() if v[1] == "new"]
    assert len(new) == 1 and new[0][0] not in keys.values()
    assert plan.removed_now == []


def test_a_short_trap_equal_to_a_long_ones_opening_gets_a_note_of_its_own() -> None:
    long = "- Identity Pools do not store user passwords ever, they only **broker AWS access**.\n"
    short = "- Identity Pools do not store user **passwords** ever.\n"
    doc = "# T\n\n## Exam traps\n\n"
    first = lockmod.reconcile(_deck_specs(doc + long), None, 100)
    (old,) = first.notes
    for text in (doc + long + short, doc + short + long):
        plan = lockmod.reconcile(_deck_specs(text), first.deck, 200)
        by_status = sorted((d.status, d.identity == old.identity) for d in plan.notes)
        assert by_status == [("new", False), ("unchanged", True)], plan.notes


def test_a_same_template_trap_with_other_blanks_is_a_new_fact() -> None:
    doc = (
        "# T\n\n## Exam traps\n\n"
        "- In the exam, {who} are the answer when the question mentions {what}.\n"
    )

    def specs(who: str, what: str) -> list[lockmod.Spec]:
        return [
            lockmod.Spec(s.key, s.hash, "cloze", 1, s.facts)
            for s in _deck_specs(doc.format(who=who, what=what))
        ]

    first = lockmod.reconcile(specs("User Pools", "**JWT tokens**"), None, 100)
    other = lockmod.reconcile(specs("Identity Pools", "**STS credentials**"), first.deck, 200)
    assert [d.status for d in other.notes] == ["new"] and len(other.removed_now) == 1
    reworded = lockmod.reconcile(specs("Cognito User Pools", "**JWT tokens**"), first.deck, 200)
    assert [d.status for d in reworded.notes] == ["changed"] and reworded.renamed


def test_another_fact_under_the_same_trap_title_is_a_new_note() -> None:
    doc = "# T\n\n## Exam traps\n\n- **Gotcha:** {text}\n"

    def specs(text: str) -> list[lockmod.Spec]:
        return [
            lockmod.Spec(s.key, s.hash, "cloze", 1, s.facts)
            for s in _deck_specs(doc.format(text=text))
        ]

    first = lockmod.reconcile(specs("User Pools issue **JWT tokens** only."), None, 100)
    (old,) = first.notes
    other = lockmod.reconcile(
        specs("Identity Pools hand out **STS credentials**."), first.deck, 200
    )
    (new,) = other.notes
    assert new.status == "new" and new.identity != old.identity
    assert [k for k, _ in other.tombstones] == [old.key]  # the old fact: a marker, its own GUID
    # the same blanks, other words around them: the same fact, edited
    edited = lockmod.reconcile(specs("User Pools only issue **JWT tokens**."), first.deck, 200)
    assert [(d.status, d.identity) for d in edited.notes] == [("changed", old.identity)]
    # and after a removal, another fact under that title does not revive the marker
    gone = lockmod.reconcile([], first.deck, 200)
    back = lockmod.reconcile(specs("Identity Pools hand out **STS credentials**."), gone.deck, 300)
    assert [d.status for d in back.notes] == ["new"] and back.notes[0].identity != old.identity


def test_a_forgotten_marker_never_lends_its_guid_to_a_later_note() -> None:
    doc = "# T\n\n## Exam traps\n\n- **Gotcha:** User Pools issue **JWT tokens** only.\n"
    first = lockmod.reconcile(_deck_specs(doc), None, 100)
    (old,) = first.notes
    gone = lockmod.reconcile([], first.deck, 200)  # removed: a marker
    later = lockmod.reconcile([], gone.deck, 300)
    assert lockmod.forget_removed(later) == 1  # --forget-removed: the marker is dropped
    assert later.deck.retired == (old.identity,)
    back = lockmod.unpack(lockmod.pack(later.deck))  # through the lock file
    again = lockmod.reconcile(_deck_specs(doc), back, 400)
    assert [d.status for d in again.notes] == ["new"]
    assert again.notes[0].identity != old.identity and again.deck.retired == (old.identity,)
