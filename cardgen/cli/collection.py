"""From a saved edit to the updated card in Anki: `sync`, `watch`, `init`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from cardgen.build import BuildResult
from cardgen.cli.building import (
    Progress,
    check_source_date_epoch,
    pdf_options,
    report_decks,
)
from cardgen.cli.common import (
    cli,
    collection_path,
    default_sources,
    fail,
    from_settings,
    output_folder_option,
    workspace,
)


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

    check_source_date_epoch()
    settings = workspace()
    pdf = pdf_options(
        settings.text("paper") or "a4", settings.text("card-size") or "a7", "duplex", "0,0"
    )
    options = BuildOptions(output=output, formats=formats, cache=formats != ("apkg",), pdf=pdf)
    result = run_build(list(paths) or [default_sources()], options, Progress())
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
@output_folder_option
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
    (output,) = from_settings(output=output)
    target = collection_path(profile, collection)
    if dry_run:
        if not _dry_run(paths, output, target, delete_removed):
            sys.exit(1)
        return
    result = _build_for_sync(paths, output)
    report_decks(result, check=False, hint=False)
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
@output_folder_option
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
        fail("watching needs the watch extra: pip install 'cardgen[watch]'")
    check_source_date_epoch()
    (output,) = from_settings(output=output)
    settings = workspace()
    pdf = pdf_options(
        settings.text("paper") or "a4", settings.text("card-size") or "a7", "duplex", "0,0"
    )
    syncer = WatchSync(collection_path(profile, collection), output) if apply else None
    chosen = list(paths) or [default_sources()]
    if not all(p.exists() for p in chosen):
        fail(", ".join(display_path(p) for p in chosen if not p.exists()) + ": no such file")

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
