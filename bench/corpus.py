"""Synthetic study sources for the benchmarks: format v1, deterministic, at any scale.

Each source looks like `sources/cognito-user-pools-vs-identity-pools.md`: front matter, a title and
a description, one comparison table of `ROWS` rows × 3 subjects with an exam-tip column, a summary,
`SCENARIOS` decision-tree scenarios (`prompt → answer`) and an exam-traps section of `TRAPS` traps
(a bold title, then text with bold spans that become clozes).

Source `i` depends only on `(seed, i)`: the first 10 sources of the 1,000-source corpus are the
10-source corpus, and two runs with the same seed write byte-identical files.

    python bench/corpus.py OUT_DIR [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

SEED = 20260222
ROWS = 20
SUBJECTS = 3
TRAPS = 5
SCENARIOS = 3


def _split(words: str) -> list[str]:
    return words.split()


_ADJ = _split(
    "Amber Basalt Cedar Delta Ember Falcon Garnet Harbor Indigo Juniper Kestrel Lumen "
    "Meridian Nimbus Onyx Pylon Quartz Raven Sierra Tundra Umber Vector Willow Xenon Yarrow "
    "Zephyr Cobalt Granite Halcyon Ironwood Lattice Mistral Nova Orchid Pewter Quill Rustic "
    "Saffron Talon"
)
_NOUN = _split(
    "Gateway Vault Relay Ledger Broker Catalog Mesh Queue Stream Registry Cache Router "
    "Scheduler Archive Beacon Conduit Directory Engine Funnel Harness Index Journal Keystore "
    "Lens Monitor Pipeline Portal Proxy Reactor Sentinel Shard Switchboard Tracker Vista "
    "Warden"
)
_ATTRIBUTES = (
    "Core Purpose",
    "Primary Output",
    "What It Manages",
    "Supported Sources",
    "Service Access",
    "IAM Integration",
    "MFA Support",
    "Sign-In UI",
    "Lambda Triggers",
    "Credential Lifetime",
    "Guest Access",
    "OAuth Compliance",
    "API Integration",
    "Pricing Model",
    "Security Features",
    "Architecture Role",
    "Usage Pattern",
    "Encryption at Rest",
    "Encryption in Transit",
    "Regional Scope",
    "Quota Limits",
    "Scaling Behaviour",
    "Failure Mode",
    "Latency Profile",
    "Consistency Model",
    "Backup Strategy",
    "Audit Logging",
    "Cost Driver",
    "Deployment Unit",
    "Configuration Surface",
    "Versioning",
    "Retention Period",
    "Throughput Unit",
    "Event Sources",
    "Access Control",
    "Network Placement",
    "Monitoring Hooks",
    "Data Format",
    "Ordering Guarantee",
    "Delivery Semantics",
    "Idempotency",
    "Cold Start",
    "Maximum Payload",
    "Tenancy Model",
    "Migration Path",
    "SDK Support",
    "Console Experience",
    "Compliance Scope",
    "Disaster Recovery",
    "Typical Exam Clue",
)
_VERBS = _split(
    "issues stores rotates validates exchanges caches replicates signs encrypts batches "
    "routes throttles archives indexes streams mirrors federates audits schedules compresses"
)
_OBJECTS = _split(
    "tokens credentials snapshots events records sessions keys certificates messages "
    "partitions policies roles metrics logs manifests checkpoints leases quotas endpoints "
    "schemas"
)
_QUALIFIERS = (
    "per request",
    "per region",
    "at rest",
    "for 15 minutes",
    "for up to 12 hours",
    "without a Lambda",
    "through STS",
    "with a managed key",
    "on every write",
    "in near real time",
    "behind a VPC endpoint",
    "once per account",
    "for guest users",
    "by default",
    "only when enabled",
    "across three zones",
)
_CLAUSES = (
    "the exam hides this behind a scenario about mobile apps",
    "candidates confuse this with the other service every time",
    "remember the default, not the maximum",
    "this is the distinction most questions test",
    "look for the word temporary in the question",
    "the cheaper option is usually the right answer",
    "watch for answers that mix the two services",
    "a question that mentions guests points here",
    "the limit can be raised through a quota request",
    "only one of the options needs no extra code",
)


def _words(rng: random.Random, pool: list[str], k: int) -> list[str]:
    return [rng.choice(pool) for _ in range(k)]


def _sentence(rng: random.Random) -> str:
    s = f"{rng.choice(_VERBS).capitalize()} {rng.choice(_OBJECTS)} {rng.choice(_QUALIFIERS)}"
    return s + f"; {rng.choice(_CLAUSES)}"


def _value(rng: random.Random, row: int, col: int) -> str:
    verb, obj = rng.choice(_VERBS), rng.choice(_OBJECTS)
    text = f"{verb.capitalize()} {obj} {rng.choice(_QUALIFIERS)}"
    roll = rng.random()
    if roll < 0.15:
        text = f"YES — {text[0].lower()}{text[1:]}"
    elif roll < 0.25:
        text += f" via `{obj[:-1]}-{row}{col}`"
    elif roll < 0.35:
        text += f", **{rng.choice(_QUALIFIERS)}**"
    return text


def _subjects(rng: random.Random) -> list[str]:
    adjs = rng.sample(_ADJ, SUBJECTS)
    nouns = rng.sample(_NOUN, SUBJECTS)
    return [f"{a} {n}" for a, n in zip(adjs, nouns)]


def source_name(index: int) -> str:
    return f"topic-{index:04d}.md"


def source_text(index: int, seed: int = SEED) -> str:
    """The Markdown text of source number `index` (0-based)."""
    rng = random.Random(f"cardgen-bench:{seed}:{index}")
    subjects = _subjects(rng)
    taglines = [_sentence(rng).split(";")[0] for _ in subjects]
    attributes = rng.sample(_ATTRIBUTES, ROWS)
    title = f"{subjects[0]} vs {subjects[1]} vs {subjects[2]} — topic {index}"
    out: list[str] = [
        "---",
        f"deck: Bench::Topic {index:04d}::{subjects[0]} vs {subjects[1]}",
        f"tags: [bench, topic-{index % 17}]",
        f"source: cardgen synthetic corpus · seed {seed} · source {index}",
        "---",
        "",
        f"# {title}",
        "",
        f"{subjects[0]} {_sentence(rng)}. {subjects[1]} {_sentence(rng)}.",
        "",
        "## Comparison",
        "",
        "| Feature | "
        + " | ".join(f"{s} — {t}" for s, t in zip(subjects, taglines))
        + " | Exam tip |",
        "|---" * (SUBJECTS + 2) + "|",
    ]
    used: set[str] = set()
    for r, attribute in enumerate(attributes):
        values: list[str] = []
        while len(values) < SUBJECTS:
            v = _value(rng, r, len(values))
            if v not in used:
                values.append(v)
                used.add(v)
        tip = f"{rng.choice(subjects)} {_sentence(rng).lower()}"
        out.append(f"| {attribute} | " + " | ".join(values) + f" | {tip} |")
    out += [
        "",
        "## Summary",
        "",
        " ".join(f"Use {s} when it {_sentence(rng).lower()}." for s in subjects),
        "",
        "## Decision tree",
        "",
    ]
    objects = rng.sample(_OBJECTS, 2 * SCENARIOS)  # distinct prompts
    for k in range(SCENARIOS):
        a, b = objects[2 * k], objects[2 * k + 1]
        out.append(
            f"- Does the question involve {a} {rng.choice(_QUALIFIERS)} or {b}? "
            f"→ {subjects[k % SUBJECTS]}."
        )
    out += ["", "## Exam traps", ""]
    for _ in range(TRAPS):
        # four different objects: two name the trap, two are hidden (a cloze must not be
        # repeated by the rest of its card, not even in the singular)
        qualifier, clause = rng.choice(_QUALIFIERS), rng.choice(_CLAUSES)
        free = [o for o in _OBJECTS if o[:-1] not in f"{qualifier} {clause}"]
        t1, t2, c1, c2 = rng.sample(free, 4)
        s1, s2 = rng.sample(subjects, 2)
        out.append(
            f"- **{t1.upper()} {t2.upper()} TRAP:** {s1} {rng.choice(_VERBS)} **{c1} "
            f"{qualifier}**, while {s2} {rng.choice(_VERBS)} **{c2}** — {clause}."
        )
    out.append("")
    return "\n".join(out)


def write_corpus(dest: Path, count: int, seed: int = SEED) -> list[Path]:
    """Write sources 0..count-1 into `dest` (created; stale topic-*.md files removed)."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {source_name(i) for i in range(count)}
    for old in dest.glob("topic-*.md"):
        if old.name not in wanted:
            old.unlink()
    paths: list[Path] = []
    for i in range(count):
        path = dest / source_name(i)
        text = source_text(i, seed)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


_REVISION = re.compile(r" \(revision \d+\)")


def edit_source(path: Path, revision: int) -> None:
    """Change one value of the first table row (as a learner fixing a typo would)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    delim = next(i for i, line in enumerate(lines) if line.startswith("|---"))
    cells = lines[delim + 1].split(" | ")
    cells[1] = _REVISION.sub("", cells[1]) + f" (revision {revision})"
    lines[delim + 1] = " | ".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    paths = write_corpus(args.out, args.count, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} sources ({size / 1e6:.2f} MB) to {args.out}")


if __name__ == "__main__":
    main()
