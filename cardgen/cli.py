"""The command line. The only module that imports click, prints, or picks exit codes.

Exit codes: 0 success, 1 content errors (diagnostics), 2 bad usage. Heavy libraries (genanki,
typst, anki) are imported lazily inside commands so that `cardgen --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from cardgen import __version__

if TYPE_CHECKING:
    from cardgen.build import BuildResult
    from cardgen.diagnostics import Diagnostic
    from cardgen.model import Document
    from cardgen.writers.pdf import PdfOptions

DEFAULT_SOURCES = Path("sources")


def _emit_diagnostics(diags: Sequence[Diagnostic], strict: bool = False) -> bool:
    """Print diagnostics and the count line; return True when the run must fail."""
    from cardgen.diagnostics import summary

    for d in diags:
        click.echo(d.format())
    click.echo(summary(diags))
    return any(d.is_error for d in diags) or (strict and bool(diags))


def _split_ignore(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    """`--ignore L101 --ignore L102,L103` -> [L101, L102, L103]; an unknown code is bad usage."""
    from cardgen.lint import unknown_codes

    if any(not v.replace(",", "").strip() for v in values):
        raise click.BadParameter("is empty; give a lint code such as L101 (see docs/lint.md)")
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    bad = unknown_codes(codes)
    if bad:
        raise click.BadParameter(
            f"{', '.join(bad)}: not a lint code (L101-L109, a prefix such as L10, or CODE:fact-id)"
        )
    return codes


ignore_option = click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="CODE",
    callback=_split_ignore,
    help="Switch off a lint rule for this run (repeatable, or comma-separated: L101,L102).",
)


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


class _SourceFile(click.Path):
    """One source file; a folder gets a usage error that says what to type instead."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(value)
        if path.is_dir():
            from cardgen.source import printable_path

            try:
                sources = sorted(f for f in path.glob("*.md") if not f.name.startswith("."))
            except OSError:
                sources = []
            first = printable_path(sources[0].as_posix()) if sources else "FILE.md"
            shown = printable_path(str(value))
            self.fail(
                f"{shown} is a folder: `cardgen show` takes one source file (cardgen show "
                f"{first}); to validate every source in it: cardgen check {shown}",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


@cli.command()
@click.argument("source", type=_SourceFile(path_type=Path, dir_okay=False))
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
@click.argument("source", type=_SourceFile(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The page to write.  [default: decks/<id>.preview.html]",
)
def preview(source: Path, output: Path | None) -> None:
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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        click.echo(f"{display_path(target)}: B002 error: cannot write: {exc.strerror}", err=True)
        sys.exit(1)
    warned = len(checked.lint_diagnostics)
    click.echo(f"Wrote {display_path(target)}: {len(faces)} cards, {warned} lint warning(s).")


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

    checked = check_sources(list(paths) or [_default_sources()], ignore)
    if _emit_diagnostics(checked.diagnostics, strict):
        sys.exit(1)


def _split_formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from cardgen.build import FORMATS

    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise click.BadParameter(f"{', '.join(bad) or value!r}: use {' and/or '.join(FORMATS)}")
    return formats


def _pdf_options(paper: str, card_size: str, layout: str, back_offset: str) -> PdfOptions:
    """The PDF writer's options from the command line; bad values are usage errors (exit 2)."""
    import math

    from cardgen.writers.pdf import PdfOptions, parse_offset  # no typst import at this point

    try:
        offset = parse_offset(back_offset)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--back-offset'") from None
    if not all(math.isfinite(v) for v in offset):
        raise click.BadParameter(
            f"{back_offset!r}: X and Y must be numbers of millimetres, e.g. 1.5,-0.5",
            param_hint="'--back-offset'",
        )
    if layout.lower() == "fold" and offset != (0.0, 0.0):
        raise click.BadParameter(
            "a back offset applies to duplex printing only: with --layout fold each back is "
            "printed beside its front, on the same side (drop --back-offset)",
            param_hint="'--back-offset'",
        )
    try:
        return PdfOptions(paper.lower(), card_size, layout.lower(), offset)
    except ValueError as exc:
        hint = "'--back-offset'" if "offset" in str(exc) else "'--card-size'"
        raise click.BadParameter(_fitting_hint(str(exc), paper, layout), param_hint=hint) from None


def _with_fonts(options: PdfOptions, fonts: tuple[Path, ...]) -> PdfOptions:
    """The PDF options with the `--font` files (absolute paths); a bad file is a usage error."""
    import dataclasses

    try:
        return dataclasses.replace(options, fonts=tuple(str(f.resolve()) for f in fonts))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--font'") from None


def _fitting_hint(message: str, paper: str, layout: str) -> str:
    """The card-size writer's `(did you mean 10x15in?)` kept only when that size fits the paper;
    else the same numbers in cm when those fit (`10x15` -> `10x15cm`), else no suggestion."""
    import re

    from cardgen.writers.pdf import PdfOptions

    m = re.search(r" \(did you mean (?P<w>[\d.]+)x(?P<h>[\d.]+)in\?\)", message)
    if m is None:
        return message
    for unit in ("in", "cm"):
        size = f"{m.group('w')}x{m.group('h')}{unit}"
        try:
            PdfOptions(paper.lower(), size, layout.lower())
        except ValueError:
            continue
        return f"{message[: m.start()]} (did you mean {size}?){message[m.end() :]}"
    return message[: m.start()] + message[m.end() :]


_CLOCK_SKEW_S = 60  # SOURCE_DATE_EPOCH may be this far ahead of the clock (a slow NTP sync)


def _check_source_date_epoch() -> None:
    """SOURCE_DATE_EPOCH, when set, becomes the mod time of new and changed notes (and the lock
    file's clock): it must be whole seconds since 1970 and not in the future, or Anki keeps
    those notes "newer" than every later edit (and milliseconds put them past year 30000)."""
    import os
    import time

    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.strip():
        return
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        problem = "must be a non-negative whole number of seconds since 1970-01-01 UTC"
    elif int(text) > time.time() + _CLOCK_SKEW_S:
        problem = "lies in the future; it must be seconds since 1970-01-01 UTC, not later than now"
        if len(text) >= 13:
            problem += " (milliseconds?)"
    else:
        return
    raise click.UsageError(f"SOURCE_DATE_EPOCH={value!r}: {problem}")


class _Progress:
    """Progress on stderr: a rewritten line on a terminal; on a pipe, a line per tenth of a long
    build (50 sources or more); nothing otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.tty and total > 1:
            end = "\n" if done >= total else ""
            text = f"[{done}/{total}] {label}"[:78]
            click.echo(f"\r{text:<78}" + end, err=True, nl=False)
            self.shown = True
        elif not self.tty and total >= 50 and done % max(1, total // 10) == 0:
            click.echo(f"built {done}/{total} sources", err=True)


class _Folder(click.Path):
    """A folder path that is not the empty string (which would mean the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty; give a folder (e.g. decks)", param, ctx)
        return super().convert(value, param, ctx)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=_Folder(path_type=Path),  # a file here is a B001 diagnostic, not a usage error
    default=Path("decks"),
    show_default=True,
    help="Folder for the decks and the lock file.",
)
@click.option(
    "--format",
    "formats",
    default="apkg,pdf",
    show_default=True,
    callback=_split_formats,
    help="Outputs to build, comma-separated: apkg, pdf.",
)
@click.option(
    "--check", is_flag=True, help="Build in memory; exit 1 naming the files that are out of date."
)
@click.option(
    "--reset-lock",
    is_flag=True,
    help="Start a new lock file (when it is damaged); see docs/anki.md.",
)
@click.option(
    "--forget-removed",
    is_flag=True,
    help="Stop shipping the cardgen::removed markers of facts removed by earlier builds.",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"], case_sensitive=False),
    default="a4",
    show_default=True,
    help="Paper size of the study sheets and card sheets (docs/printing.md).",
)
@click.option(
    "--card-size",
    default="a7",
    show_default=True,
    help="Cut-out card size: a8, a7, a6, a5, index (3x5in), business, or WxH in mm, cm or in "
    "(3x5in, 4x6in); sets how many fit a page.",
)
@click.option(
    "--layout",
    type=click.Choice(["duplex", "fold"], case_sensitive=False),
    default="duplex",
    show_default=True,
    help="Cards: duplex (backs on the next page, for a long-edge flip) or fold (side by side).",
)
@click.option(
    "--back-offset",
    default="0,0",
    show_default=True,
    metavar="X,Y",
    help="Move the card backs X mm right and Y mm down, for printers that shift the back side "
    "(duplex layout only).",
)
@click.option(
    "--font",
    "fonts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A font file (.ttf, .otf, .ttc) for characters the bundled fonts lack, searched before "
    "the system's fonts; repeatable (docs/printing.md).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Sources built at once, in worker processes (default: one per CPU).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Build every source again, even those the build cache says are up to date.",
)
@ignore_option
def build(
    paths: tuple[Path, ...],
    output: Path,
    formats: tuple[str, ...],
    check: bool,
    reset_lock: bool,
    forget_removed: bool,
    paper: str,
    card_size: str,
    layout: str,
    back_offset: str,
    fonts: tuple[Path, ...],
    jobs: int | None,
    no_cache: bool,
    ignore: list[str],
) -> None:
    """Build decks from sources (default: sources/) into OUTPUT: one .apkg per source (re-import
    updates notes in place, review history kept), its study sheet and cut-out cards as PDFs, and
    the lock file that remembers every note. Prints a line per deck: notes new, changed,
    unchanged and removed since the last build."""
    from cardgen.build import BuildOptions
    from cardgen.build import build as run_build
    from cardgen.diagnostics import diag, summary
    from cardgen.fsutil import display_path
    from cardgen.model import Loc

    _check_source_date_epoch()
    output, paper, card_size = _from_settings(output=output, paper=paper, card_size=card_size)
    options = BuildOptions(
        output=output,
        formats=formats,
        check=check,
        reset_lock=reset_lock,
        forget_removed=forget_removed,
        ignore=tuple(ignore),
        pdf=_with_fonts(_pdf_options(paper, card_size, layout, back_offset), fonts),
        jobs=jobs,
        cache=not no_cache,
    )

    def waiting(folder: Path) -> None:
        click.echo(
            f"waiting for another cardgen build into {display_path(folder)}/ to finish...",
            err=True,
        )

    result = run_build(list(paths) or [_default_sources()], options, _Progress(), waiting)
    for d in result.diagnostics:
        click.echo(d.format())
    if result.errors:
        click.echo(summary(result.diagnostics))
        click.echo("Nothing was written." if not check else "Nothing was compared.")
        sys.exit(1)
    _report_decks(result, check)
    if check:
        stale = [
            diag(Loc(display_path(p)), "B004", "out of date or missing; run `cardgen build`")
            for p in result.stale
        ]
        for d in stale:
            click.echo(d.format())
        if stale:
            click.echo(summary(stale))
            sys.exit(1)
        click.echo(f"{display_path(output)}/ is up to date.")
        return
    if result.diagnostics:
        click.echo(summary(result.diagnostics))
    if result.written:
        click.echo(f"Wrote {len(result.written)} file(s) to {display_path(output)}/.")
    else:
        click.echo(f"{display_path(output)}/ is up to date; nothing written.")


def _report_decks(result: BuildResult, check: bool, hint: bool = True) -> None:
    """A line per deck: its notes new, changed, unchanged and removed (or its files)."""
    from cardgen.fsutil import display_path

    for deck in result.decks:
        apkg = [p for p in deck.outputs if p.suffix == ".apkg"]
        if apkg:
            line = (
                f"{display_path(apkg[0])}: {deck.notes} notes, {deck.cards} cards: "
                f"{deck.new} new, {deck.changed} changed, {deck.unchanged} unchanged, "
                f"{deck.removed} removed"
            )
        else:
            line = f"{deck.path}: " + ", ".join(display_path(p) for p in deck.outputs)
        click.echo(line)
        for old, new in deck.renamed:
            click.echo(f"  renamed: {old} -> {new}")
        for key in deck.removed_keys:
            click.echo(f"  removed: {key}")
        if deck.forgotten:
            click.echo(f"  forgot {deck.forgotten} cardgen::removed marker(s) of earlier builds")
    for deck_id in result.forgotten_decks:
        click.echo(f"forgot deck {deck_id} (its source is gone) from the lock")
    if any(deck.removed for deck in result.decks) and not check and hint:
        click.echo(
            "Removed facts stay in the deck tagged cardgen::removed: after importing, search "
            "`tag:cardgen::removed` in Anki's browser, select all, Notes > Delete."
        )


@cli.command("import")
@click.argument(
    # no `exists=True`: a missing or unreadable page is a located I010 error (exit 1), like a
    # missing source in `check` (P001), not a usage error
    "page",
    type=click.Path(allow_dash=True),  # a str: `https://…` must keep its `//`
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Source file to write (default: sources/<title-slug>.md; `-` prints it to stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option(
    "--merge",
    is_flag=True,
    help="Re-import onto an existing source: apply the page's changes, keep your edits.",
)
def import_page_command(page: str, output: Path | None, force: bool, merge: bool) -> None:
    """Turn a study PAGE into a source: pasted text (a text file, `-` for stdin), a saved web
    page (`.html`) or a URL (`https://…`; HTML needs `pip install 'cardgen[html]'`).

    Warnings name the PAGE's lines to review (unsure splits, dropped residue, unplaced text).
    Exit 0 when written, 1 when the page cannot be read or imported (or --merge meets a
    conflict), 2 when the output exists (use --merge or --force) or the usage is wrong.
    """
    from cardgen.diagnostics import summary
    from cardgen.fsutil import display_path, write_atomic
    from cardgen.importer import decode_page, import_page, title_slug
    from cardgen.importer.fetch import is_url
    from cardgen.source import parse_text
    from cardgen.text import slugify

    from_stdin = page == "-"
    shown = "<stdin>" if from_stdin else page if is_url(page) else display_path(Path(page))
    try:
        data = sys.stdin.buffer.read() if from_stdin else _page_bytes(page, shown)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            why = "no such file or directory"
        elif isinstance(exc, IsADirectoryError):
            why = "is a directory, expected a text file"
        else:
            why = f"cannot read page: {exc.strerror or exc}"
        click.echo(f"{shown}:1:1: I010 error: {why}")
        click.echo("Found 1 error.")
        sys.exit(1)
    text, diags = decode_page(data, shown)
    html_lines: list[int] | None = None
    if text is not None and _is_html(page, data):
        text, html_lines, diags = _html_text(text, shown)
    to_stdout = output is not None and str(output) == "-"
    if text is not None and not to_stdout:
        output = output or _default_sources() / f"{title_slug(text)}.md"
        if output.is_dir():
            raise click.UsageError(f"{display_path(output)} is a folder; give a file name")
        if output.suffix.lower() not in (".md", ".markdown"):  # `check` would refuse it (P006)
            raise click.UsageError(
                f"{display_path(output)} is not a Markdown source; name it .md (or .markdown)"
            )
        if output.exists() and not force and not merge:
            _refuse_overwrite(output)
    if text is not None:
        doc_id = slugify(output.stem) if output is not None and not to_stdout else None
        markdown, diags = import_page(text, shown, doc_id or None)
        if html_lines is not None:
            from cardgen.importer import on_html_lines

            diags = on_html_lines(diags, html_lines)
    echo = click.echo if not to_stdout else lambda msg: click.echo(msg, err=True)
    for d in diags:
        echo(d.format())
    echo(summary(diags))
    if text is None or any(d.is_error for d in diags):
        sys.exit(1)
    if to_stdout:
        click.echo(markdown, nl=False)
        return
    assert output is not None
    written = _merged(output, markdown) if merge and output.exists() and not force else markdown
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, written.encode("utf-8"))
    _keep_base(output, markdown)
    doc, _ = parse_text(written, str(output))
    rows = [r for c in doc.comparisons for r in c.rows]
    echo(
        f"Wrote {display_path(output)}: {len(rows)} rows ({sum(1 for r in rows if r.tip)} with "
        f"tips), {len(doc.traps)} traps, {len(doc.scenarios)} scenarios, {len(doc.notes)} notes."
    )


# --------------------------------------------------------------------------------------------
# `import` of a saved web page or a URL (issue 13)


def _refuse_overwrite(output: Path) -> None:
    """An existing source and no --force / --merge: refuse (exit 2), showing the author's edits
    since the last import when that import was kept."""
    from cardgen.fsutil import display_path
    from cardgen.importer.merge import base_path, edits_diff

    shown = display_path(output)
    base = base_path(output)
    if base.is_file():
        diff = edits_diff(base.read_text(encoding="utf-8"), output.read_text("utf-8"), shown)
        if diff:
            click.echo(f"Your edits to {shown} since it was imported:", err=True)
            click.echo(diff, err=True, nl=False)
    click.echo(
        f"Error: {shown} already exists; use --force to overwrite it, --merge to apply the "
        "page's changes and keep your edits, or -o to write elsewhere.",
        err=True,
    )
    sys.exit(2)


def _merged(output: Path, markdown: str) -> str:
    """The existing source with the new import merged in (three-way, against the last import);
    a conflict, or no record of the last import, exits 1 and writes nothing."""
    from cardgen.fsutil import display_path
    from cardgen.importer.merge import base_path, merge3
    from cardgen.source import parse_text

    shown = display_path(output)
    base = base_path(output)
    if not base.is_file():
        click.echo(
            f"Error: no record of the last import of {shown} ({display_path(base)}); "
            "use --force to overwrite it, or -o to write elsewhere.",
            err=True,
        )
        sys.exit(1)
    yours = output.read_text(encoding="utf-8")
    merged, conflicts = merge3(base.read_text(encoding="utf-8"), yours, markdown)
    for c in conflicts:
        click.echo(
            f"{shown}:{c.line}:1: conflict: you changed "
            f"{''.join(c.yours).strip()[:120]!r}; the page now has "
            f"{''.join(c.page).strip()[:120]!r}"
        )
    if conflicts:
        n = len(conflicts)
        click.echo(f"Not merged: {n} conflict{'s' if n > 1 else ''}; nothing written.")
        sys.exit(1)
    if any(d.is_error for d in parse_text(merged, str(output))[1]):
        click.echo(f"Not merged: the merge of {shown} does not read back; nothing written.")
        sys.exit(1)
    return merged


def _keep_base(output: Path, markdown: str) -> None:
    """Keep what the import wrote, for the next re-import's merge (never read as a source)."""
    from cardgen.fsutil import write_atomic
    from cardgen.importer.merge import base_path

    base = base_path(output)
    base.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(base, markdown.encode("utf-8"))


def _page_bytes(page: str, shown: str) -> bytes:
    """The page's bytes: read from the file, or fetched from the URL (an I017 error exits 1)."""
    from cardgen.importer.fetch import fetch, is_url

    if not is_url(page):
        return Path(page).read_bytes()
    data, diags = fetch(page)
    if data is None:
        from cardgen.diagnostics import summary

        for d in diags:
            click.echo(d.format())
        click.echo(summary(diags))
        sys.exit(1)
    return data


def _is_html(page: str, data: bytes) -> bool:
    from cardgen.importer.fetch import is_url
    from cardgen.importer.html import looks_like_html

    suffix = Path(page).suffix.lower() if not is_url(page) else ""
    return suffix in (".html", ".htm", ".xhtml") or is_url(page) or looks_like_html(data)


def _html_text(html: str, shown: str) -> tuple[str | None, list[int] | None, list[Diagnostic]]:
    """A saved page's text as the importer reads it, and the HTML line of each text line."""
    from cardgen.importer import html_page

    text, lines, diags = html_page(html, shown)
    return text, (lines if text is not None else None), diags


# sync, watch, init: from a saved edit to the updated card in Anki (issue 17)


def _workspace() -> Any:
    """The settings of the study folder (`cardgen.toml`), read once per command; exit 1 (B030)
    when the file is bad."""
    meta = click.get_current_context().find_root().meta
    if "cardgen.settings" not in meta:
        from cardgen.workspace import load_settings

        settings, diags = load_settings()
        if diags:
            _emit_diagnostics(diags)
            click.echo("Nothing was done.")
            sys.exit(1)
        meta["cardgen.settings"] = settings
    return meta["cardgen.settings"]


def _default_sources() -> Path:
    return Path(_workspace().path("sources", DEFAULT_SOURCES))


_SETTING_NAMES = {"output": "output", "paper": "paper", "card_size": "card-size"}


def _from_settings(**values: Any) -> tuple[Any, ...]:
    """Each option's value: the command line's when given there, else the settings file's,
    else the option's default."""
    ctx = click.get_current_context()
    settings = _workspace()
    chosen = []
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        key = _SETTING_NAMES[name]
        if source is click.core.ParameterSource.DEFAULT and key in settings.values:
            value = settings.path(key, value) if name == "output" else settings.text(key)
        chosen.append(value)
    return tuple(chosen)


def _collection_path(profile: str | None, collection: Path | None) -> Path:
    """--collection PATH, else the collection of --profile NAME (default: Anki's last used)."""
    import importlib.util

    from cardgen.anki import ProfileError, find_collection

    if importlib.util.find_spec("anki") is None:
        _fail("syncing needs the anki extra: pip install 'cardgen[anki]'")
    if collection is not None:
        if not collection.is_file():
            _fail(f"{collection}: no Anki collection there (give the path of collection.anki2)")
        return collection
    try:
        return find_collection(profile or _workspace().text("anki-profile"))
    except ProfileError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _sync_once(
    output: Path, result: BuildResult, target: Path, dry_run: bool, delete: bool
) -> bool:
    """Apply a build to the collection and print the outcome; False when Anki has it open."""
    from cardgen.anki import collection_busy, sync_decks
    from cardgen.anki.report import busy_message, deck_packages, guid_keys, sync_lines

    packages = deck_packages(result, output)
    try:
        synced = sync_decks(target, packages, dry_run=dry_run, delete_removed=delete)
    except Exception as exc:
        if not collection_busy(exc):
            raise
        click.echo(busy_message(target, packages), err=True)
        return False
    for line in sync_lines(synced, dry_run, delete, guid_keys(output) if dry_run else None):
        click.echo(line)
    return True


def _build_for_sync(
    paths: tuple[Path, ...], output: Path, formats: tuple[str, ...] = ("apkg", "pdf")
) -> BuildResult:
    """The build before a sync: diagnostics printed; exit 1 on content errors."""
    from cardgen.build import BuildOptions
    from cardgen.build import build as run_build
    from cardgen.diagnostics import summary

    _check_source_date_epoch()
    settings = _workspace()
    pdf = _pdf_options(
        settings.text("paper") or "a4", settings.text("card-size") or "a7", "duplex", "0,0"
    )
    options = BuildOptions(output=output, formats=formats, cache=formats != ("apkg",), pdf=pdf)
    result = run_build(list(paths) or [_default_sources()], options, _Progress())
    for d in result.diagnostics:
        click.echo(d.format())
    if result.errors:
        click.echo(summary(result.diagnostics))
        click.echo("Nothing was written.")
        sys.exit(1)
    return result


def _dry_run(paths: tuple[Path, ...], output: Path, target: Path, delete: bool) -> bool:
    """Build into a scratch copy of the output's lock and packages, then compare: nothing of
    the user's is written."""
    import shutil
    import tempfile

    from cardgen import lock as lockmod

    with tempfile.TemporaryDirectory(prefix="cardgen-dry-run-") as tmp:
        scratch = Path(tmp)
        for f in [output / lockmod.LOCK_NAME, *output.glob("*.apkg")]:
            if f.is_file():
                shutil.copy2(f, scratch / f.name)
        result = _build_for_sync(paths, scratch, ("apkg",))
        return _sync_once(scratch, result, target, True, delete)


collection_options = [
    click.option("--profile", metavar="NAME", help="Anki profile (default: the last used one)."),
    click.option(
        "--collection",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The collection file (collection.anki2) instead of a profile's.",
    ),
]


def _with_collection_options(f: Any) -> Any:
    for option in reversed(collection_options):
        f = option(f)
    return f


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=_Folder(path_type=Path),
    default=Path("decks"),
    show_default=True,
    help="Folder for the decks and the lock file.",
)
@_with_collection_options
@click.option(
    "--dry-run", is_flag=True, help="Print per deck what would change in Anki; write nothing."
)
@click.option(
    "--delete-removed",
    is_flag=True,
    help="Delete from the collection the notes of facts removed from the sources (default: "
    "suspend them and tag them cardgen::removed). Not build's --forget-removed.",
)
def sync(
    paths: tuple[Path, ...],
    output: Path,
    profile: str | None,
    collection: Path | None,
    dry_run: bool,
    delete_removed: bool,
) -> None:
    """Build, then apply the decks to your Anki collection (Anki must be closed).

    Notes are added and updated as Anki's own import does ("if newer", scheduling kept); your
    own tags, flags and review history stay; notes of removed facts are suspended and tagged
    cardgen::removed (or deleted with --delete-removed). A backup is made first (docs/anki.md).
    """
    (output,) = _from_settings(output=output)
    target = _collection_path(profile, collection)
    if dry_run:
        if not _dry_run(paths, output, target, delete_removed):
            sys.exit(1)
        return
    result = _build_for_sync(paths, output)
    _report_decks(result, check=False, hint=False)
    if delete_removed and not _confirm_deletion(output, result, target):
        click.echo("Nothing was written to the collection.")
        sys.exit(1)
    if not _sync_once(output, result, target, False, delete_removed):
        sys.exit(1)


def _confirm_deletion(output: Path, result: BuildResult, target: Path) -> bool:
    """--delete-removed: the notes it would delete, counted per deck, before anything is
    written; on a terminal, a question (elsewhere the run goes on)."""
    from cardgen.anki import collection_busy, sync_decks
    from cardgen.anki.report import deck_packages

    try:
        packages = deck_packages(result, output)
        plans = sync_decks(target, packages, dry_run=True, delete_removed=True).decks
    except Exception as exc:
        if not collection_busy(exc):
            raise
        return True  # _sync_once says so
    doomed = [(p.deck, len(p.remove)) for p in plans if p.remove]
    if not doomed:
        return True
    counts = ", ".join(f"{deck}: {n}" for deck, n in doomed)
    click.echo(f"Deleting {sum(n for _, n in doomed)} note(s) of removed facts ({counts}).")
    if not sys.stdin.isatty():
        return True
    return click.confirm("Delete them from the collection?", default=False)


@cli.command("watch")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=_Folder(path_type=Path),
    default=Path("decks"),
    show_default=True,
    help="Folder for the decks and the lock file.",
)
@click.option("--sync", "apply", is_flag=True, help="Apply each rebuild to your Anki collection.")
@_with_collection_options
@click.option(
    "--debounce",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    metavar="MS",
    help="Longest wait, in ms, gathering the changes of one save before rebuilding.",
)
def watch_command(
    paths: tuple[Path, ...],
    output: Path,
    apply: bool,
    profile: str | None,
    collection: Path | None,
    debounce: int,
) -> None:
    """Build, then rebuild the sources you save, until Ctrl-C: a line per rebuild. A source
    with errors shows them and keeps its last good outputs. With --sync, each rebuild goes
    straight into Anki (as `cardgen sync`; Anki must be closed for it)."""
    from cardgen.anki.report import WatchSync
    from cardgen.build import BuildOptions
    from cardgen.fsutil import display_path

    try:
        from cardgen.watch import rebuild_line
        from cardgen.watch import watch as run_watch
    except ImportError:  # pragma: no cover - the extra is missing
        _fail("watching needs the watch extra: pip install 'cardgen[watch]'")
    _check_source_date_epoch()
    (output,) = _from_settings(output=output)
    settings = _workspace()
    pdf = _pdf_options(
        settings.text("paper") or "a4", settings.text("card-size") or "a7", "duplex", "0,0"
    )
    syncer = WatchSync(_collection_path(profile, collection), output) if apply else None
    chosen = list(paths) or [_default_sources()]
    if not all(p.exists() for p in chosen):
        _fail(", ".join(display_path(p) for p in chosen if not p.exists()) + ": no such file")

    def on_rebuild(rebuild: Any) -> None:
        for d in rebuild.result.diagnostics:
            click.echo(d.format())
        line = rebuild_line(rebuild)
        if syncer is not None and not rebuild.result.errors:
            end, before = syncer(rebuild.result)
            for text in before:
                click.echo(text)
            line += end
        click.echo(line)
        if rebuild.first:
            names = ", ".join(display_path(p) for p in chosen)
            click.echo(f"Watching {names} (Ctrl-C to stop).")

    import contextlib

    # Ctrl-C during a build: its outputs are written whole or not at all
    with contextlib.suppress(KeyboardInterrupt):
        run_watch(chosen, BuildOptions(output=output, pdf=pdf), on_rebuild, debounce_ms=debounce)
    click.echo("Stopped watching.")


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
def init_command(folder: Path) -> None:
    """Make a study folder of your own in FOLDER (default: here): cardgen.toml (the settings),
    sources/ with one short example, decks/. Nothing that exists is overwritten."""
    from cardgen.fsutil import display_path
    from cardgen.workspace import init_workspace

    if folder.exists() and not folder.is_dir():
        raise click.UsageError(f"{display_path(folder)} is a file; give a folder")
    result = init_workspace(folder)
    for path in result.made:
        click.echo(f"made {display_path(path)}{'/' if path.is_dir() else ''}")
    for path in result.kept:
        click.echo(f"kept {display_path(path)}{'/' if path.is_dir() else ''} (already there)")
    go = "" if folder.resolve() == Path.cwd().resolve() else f"cd {display_path(folder)} && "
    click.echo(
        "Next: write or import sources (`cardgen import PAGE.txt`), then "
        f"`{go}cardgen build` and import decks/*.apkg in Anki, or `{go}cardgen sync` "
        "(Anki closed) to put them straight into your collection."
    )


def main() -> None:  # pragma: no cover
    cli(prog_name="cardgen")
