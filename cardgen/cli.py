"""The command line. The only module that imports click, prints, or picks exit codes.

Exit codes: 0 success, 1 content errors (diagnostics), 2 bad usage. Heavy libraries (genanki,
typst, anki) are imported lazily inside commands so that `cardgen --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cardgen import __version__

DEFAULT_SOURCES = Path("sources")


def _emit_diagnostics(diags, strict: bool = False) -> bool:
    """Print diagnostics and the count line; return True when the run must fail."""
    from cardgen.diagnostics import summary

    for d in diags:
        click.echo(d.format())
    click.echo(summary(diags))
    return any(d.is_error for d in diags) or (strict and bool(diags))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="cardgen")
def cli() -> None:
    """cardgen: turn Markdown study notes into Anki decks and printable PDFs.

    \b
    Typical use:
      cardgen check            validate every source in sources/
      cardgen build            build decks/ from sources/
      cardgen show FILE.md     show the facts a source yields
    """


@cli.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON (stable contract).")
def show(source: Path, as_json: bool) -> None:
    """Show the facts that SOURCE yields (title, comparisons, traps, scenarios, notes)."""
    from cardgen.build import display_path
    from cardgen.parse import document_json, parse_file

    doc, diags = parse_file(source, display_path(source))
    errors = [d for d in diags if d.is_error]
    if doc is None or errors:
        for d in diags:
            click.echo(d.format(), err=True)
        from cardgen.diagnostics import summary

        click.echo(summary(diags), err=True)
        sys.exit(1)
    for d in diags:
        click.echo(d.format(), err=True)
    if as_json:
        click.echo(json.dumps(document_json(doc), ensure_ascii=False, indent=2))
        return
    click.echo(_describe(doc))


def _describe(doc) -> str:
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
            label = t.title or t.text[:60] + ("…" if len(t.text) > 60 else "")
            lines.append(f"  {t.loc.line:>4}  {label}  ({len(t.clozes)} cloze)")
    if doc.scenarios:
        lines.append("")
        lines.append(f"Scenarios: {len(doc.scenarios)}")
        for s in doc.scenarios:
            lines.append(f"  {s.loc.line:>4}  {s.prompt} → {s.subject or s.answer}")
    if doc.notes:
        lines.append("")
        lines.append(f"Notes: {', '.join(n.title for n in doc.notes)}")
    return "\n".join(lines)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(paths: tuple[Path, ...], strict: bool) -> None:
    """Validate sources (default: sources/) and print diagnostics as path:line:col: CODE message."""
    from cardgen.build import load

    loaded = load(list(paths) or [DEFAULT_SOURCES])
    if _emit_diagnostics(loaded.diagnostics, strict):
        sys.exit(1)


def main() -> None:  # pragma: no cover
    cli(prog_name="cardgen")
