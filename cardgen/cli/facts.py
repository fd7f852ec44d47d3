"""Reading sources: `show` (facts, `--cards`), `preview` and `check`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from cardgen.model import Document
from cardgen.cli.common import SourceFile, cli, default_sources, emit_diagnostics, ignore_option


@cli.command()
@click.argument("source", type=SourceFile(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON (stable contract).")
@click.option("--cards", is_flag=True, help="Print every card's prompt and answer instead.")
def show(source: Path, as_json: bool, cards: bool) -> None:
    """Show the facts that SOURCE yields (title, comparisons, traps, scenarios, notes)."""
    if cards:
        _show_cards(source, as_json)
        return
    from cardgen.diagnostics import summary
    from cardgen.fsutil import display_path
    from cardgen.pipeline import parse_source
    from cardgen.source import SOURCE_SUFFIXES, not_markdown

    shown = display_path(source)
    if source.suffix.lower() not in SOURCE_SUFFIXES and source.exists():
        doc, diags = None, [not_markdown(source, shown)]
    else:
        parsed = parse_source(source, shown)
        doc, diags = parsed.doc, parsed.parse_diagnostics
    for d in diags:
        click.echo(d.format(), err=True)
    if doc is None or any(d.is_error for d in diags):
        click.echo(summary(diags), err=True)
        sys.exit(1)
    if as_json:
        from cardgen.source import document_json

        click.echo(json.dumps(document_json(doc), ensure_ascii=False, indent=2))
        return
    click.echo(_describe(doc))


# --------------------------------------------------------------------------------------------
# Cards as Anki shows them: `show --cards` and `preview` (issue 14)


def _checked_deck(source: Path) -> Any:
    """SOURCE read, parsed, built into cards and linted; exit 1 on errors. Returns the
    `Checked` result with its images."""
    from cardgen.diagnostics import summary
    from cardgen.fsutil import display_path
    from cardgen.pipeline import check_source, read_images

    checked = check_source(source, display_path(source))
    for d in checked.parse_diagnostics:
        click.echo(d.format(), err=True)
    if not checked.ok or checked.doc is None:
        click.echo(summary(checked.diagnostics), err=True)
        sys.exit(1)
    images, diags = read_images(checked.doc)
    for d in diags:
        click.echo(d.format(), err=True)
    return checked, images


def _show_cards(source: Path, as_json: bool) -> None:
    from cardgen.writers.preview import card_texts, deck_faces, plain

    checked, images = _checked_deck(source)
    faces, _ = deck_faces(checked.doc, checked.cards, images)
    if as_json:
        click.echo(json.dumps(card_texts(faces), ensure_ascii=False, indent=2))
        return
    for n, face in enumerate(faces, 1):
        blank = f" {face.ord + 1}" if face.model == "cloze" else ""
        click.echo(f"{n}. [{face.kind}{blank}] {plain(face.question)}")
        click.echo(f"   → {plain(face.recalled)}")


@cli.command()
@click.argument("source", type=SourceFile(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The page to write.  [default: decks/<id>.preview.html]",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Serve the page on http://127.0.0.1 instead of writing it (until Ctrl-C).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port for --serve (0: any free port).",
)
def preview(source: Path, output: Path | None, serve: bool, port: int) -> None:
    """Write one HTML page showing every card of SOURCE as Anki shows it: front and back,
    cloze cards one per blank, a light/night switch, a phone-width view, and the lint warnings
    beside the cards they concern. The page needs no other file."""
    from cardgen.fsutil import display_path, write_atomic
    from cardgen.writers.preview import deck_faces, page

    checked, images = _checked_deck(source)
    doc = checked.doc
    faces, media = deck_faces(doc, checked.cards, images)
    target = output or Path("decks") / f"{doc.id}.preview.html"
    text = page(doc, faces, checked.lint_diagnostics, media)
    warned = len(checked.lint_diagnostics)
    if serve:
        _serve(text, port, f"{len(faces)} cards, {warned} lint warning(s)")
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        click.echo(f"{display_path(target)}: B002 error: cannot write: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"Wrote {display_path(target)}: {len(faces)} cards, {warned} lint warning(s).")


def _serve(text: str, port: int, what: str) -> None:
    """`preview --serve`: the page on the loopback interface until Ctrl-C."""
    from cardgen.serve import serve_page

    def ready(url: str) -> None:
        click.echo(f"Serving the preview ({what}) at {url} — Ctrl-C to stop.")

    try:
        serve_page(text.encode("utf-8"), port, ready)
    except OSError as exc:
        click.echo(f"Error: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)


def _preview(text: str, limit: int = 60) -> str:
    """The start of a Markdown text as a reader sees it (no `**`), shortened at a word."""
    from cardgen.text import plain

    shown = plain(text)
    if len(shown) <= limit:
        return shown
    return shown[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—–-") + "…"


def _describe(doc: Document) -> str:
    from cardgen.text import plain

    lines = [doc.title, "=" * min(len(doc.title), 78)]
    lines.append(f"deck:    {doc.deck}")
    lines.append(f"id:      {doc.id}")
    if doc.tags:
        lines.append(f"tags:    {', '.join(doc.tags)}")
    if doc.source:
        lines.append(f"source:  {doc.source}")
    if doc.description:
        lines.append("")
        lines.append(doc.description)
    for i, comp in enumerate(doc.comparisons, 1):
        names = " vs ".join(s.name for s in comp.subjects)
        tips = sum(1 for r in comp.rows if r.tip)
        lines.append("")
        lines.append(
            f"Comparison {i} (line {comp.loc.line}): {names} — {len(comp.rows)} rows, {tips} tips"
        )
        for s in comp.subjects:
            lines.append(f"  • {s.name}" + (f" — {s.tagline}" if s.tagline else ""))
        for r in comp.rows:
            lines.append(f"  {r.loc.line:>4}  {r.attribute}" + ("  [tip]" if r.tip else ""))
    if doc.traps:
        lines.append("")
        lines.append(f"Traps: {len(doc.traps)}")
        for t in doc.traps:
            label = plain(t.title) if t.title else _preview(t.text)
            n = len(t.clozes)
            blanks = f"{n} blank{'s' if n != 1 else ''}" if n else "no blank: no card"
            lines.append(f"  {t.loc.line:>4}  {label}  ({blanks})")
    if doc.scenarios:
        lines.append("")
        lines.append(f"Scenarios: {len(doc.scenarios)}")
        for sc in doc.scenarios:
            lines.append(f"  {sc.loc.line:>4}  {sc.prompt} → {sc.subject or sc.answer}")
    if doc.notes:
        lines.append("")
        lines.append(f"Notes: {', '.join(n.title for n in doc.notes)}")
    return "\n".join(lines)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@ignore_option
def check(paths: tuple[Path, ...], strict: bool, ignore: list[str]) -> None:
    """Validate sources (default: sources/); print `path:line:col: CODE severity: message` lines.

    Card-quality lint (L codes, warnings; see docs/lint.md) runs too."""
    from cardgen.pipeline import check as check_sources

    checked = check_sources(list(paths) or [default_sources()], ignore)
    if emit_diagnostics(checked.diagnostics, strict):
        sys.exit(1)
