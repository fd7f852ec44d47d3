"""`cardgen build`: options, progress on a terminal, the per-deck report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cardgen.build import BuildResult
    from cardgen.writers.pdf import PdfOptions
from cardgen.cli.common import (
    cli,
    default_sources,
    from_settings,
    ignore_option,
    output_folder_option,
)


def _split_formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from cardgen.build import FORMATS

    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise click.BadParameter(f"{', '.join(bad) or value!r}: use {' and/or '.join(FORMATS)}")
    return formats


def pdf_options(paper: str, card_size: str, layout: str, back_offset: str) -> PdfOptions:
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


def check_source_date_epoch() -> None:
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


class Progress:
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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@output_folder_option
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

    check_source_date_epoch()
    output, paper, card_size = from_settings(output=output, paper=paper, card_size=card_size)
    options = BuildOptions(
        output=output,
        formats=formats,
        check=check,
        reset_lock=reset_lock,
        forget_removed=forget_removed,
        ignore=tuple(ignore),
        pdf=_with_fonts(pdf_options(paper, card_size, layout, back_offset), fonts),
        jobs=jobs,
        cache=not no_cache,
    )

    def waiting(folder: Path) -> None:
        click.echo(
            f"waiting for another cardgen build into {display_path(folder)}/ to finish...",
            err=True,
        )

    result = run_build(list(paths) or [default_sources()], options, Progress(), waiting)
    for d in result.diagnostics:
        click.echo(d.format())
    if result.errors:
        click.echo(summary(result.diagnostics))
        click.echo("Nothing was written." if not check else "Nothing was compared.")
        sys.exit(1)
    report_decks(result, check)
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


def report_decks(result: BuildResult, check: bool, hint: bool = True) -> None:
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
