"""`cardgen import`: a pasted page, a saved `.html` page or a URL into a source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cardgen.diagnostics import Diagnostic
from cardgen.cli.common import cli, default_sources


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
        output = output or default_sources() / f"{title_slug(text)}.md"
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
