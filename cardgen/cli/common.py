"""What every command shares: the `cardgen` group, diagnostics printing, option types, the
study folder's settings."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from cardgen import __version__

if TYPE_CHECKING:
    from cardgen.diagnostics import Diagnostic


DEFAULT_SOURCES = Path("sources")


def emit_diagnostics(diags: Sequence[Diagnostic], strict: bool = False) -> bool:
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


class SourceFile(click.Path):
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


# sync, watch, init: from a saved edit to the updated card in Anki (issue 17)


def workspace() -> Any:
    """The settings of the study folder (`cardgen.toml`), read once per command; exit 1 (B030)
    when the file is bad."""
    meta = click.get_current_context().find_root().meta
    if "cardgen.settings" not in meta:
        from cardgen.workspace import load_settings

        settings, diags = load_settings()
        if diags:
            emit_diagnostics(diags)
            click.echo("Nothing was done.")
            sys.exit(1)
        meta["cardgen.settings"] = settings
    return meta["cardgen.settings"]


def default_sources() -> Path:
    return Path(workspace().path("sources", DEFAULT_SOURCES))


_SETTING_NAMES = {"output": "output", "paper": "paper", "card_size": "card-size"}


def from_settings(**values: Any) -> tuple[Any, ...]:
    """Each option's value: the command line's when given there, else the settings file's,
    else the option's default."""
    ctx = click.get_current_context()
    settings = workspace()
    chosen = []
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        key = _SETTING_NAMES[name]
        if source is click.core.ParameterSource.DEFAULT and key in settings.values:
            value = settings.path(key, value) if name == "output" else settings.text(key)
        chosen.append(value)
    return tuple(chosen)


def collection_path(profile: str | None, collection: Path | None) -> Path:
    """--collection PATH, else the collection of --profile NAME (default: Anki's last used)."""
    import importlib.util

    from cardgen.anki import ProfileError, find_collection

    if importlib.util.find_spec("anki") is None:
        fail("syncing needs the anki extra: pip install 'cardgen[anki]'")
    if collection is not None:
        if not collection.is_file():
            fail(f"{collection}: no Anki collection there (give the path of collection.anki2)")
        return collection
    try:
        return find_collection(profile or workspace().text("anki-profile"))
    except ProfileError as exc:
        fail(str(exc))


def fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


class Folder(click.Path):
    """A folder path that is not the empty string (which would mean the current folder)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty; give a folder (e.g. decks)", param, ctx)
        return super().convert(value, param, ctx)


output_folder_option = click.option(
    "-o",
    "--output",
    type=Folder(path_type=Path),  # a file here is a B001 diagnostic, not a usage error
    default=Path("decks"),
    show_default=True,
    help="Folder for the decks and the lock file.",
)
