"""Orchestration: read and validate every source first; writers run only when nothing failed.

No printing and no exit codes here (that is `cli`'s job): functions return result objects.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: builds into one folder are not serialised
    fcntl = None  # type: ignore[assignment]

from cardgen.cards import build_cards
from cardgen.diagnostics import Diagnostic, error, sort_key
from cardgen.lint import lint
from cardgen.model import Card, Document, Loc
from cardgen.parse import discover, parse_file


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cards: dict[str, list[Card]] = field(default_factory=dict)  # by document id (lint built them)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def display_path(path: Path) -> str:
    """How a path is named in diagnostics: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(paths: Sequence[Path], ignore: Sequence[str] = ()) -> Loaded:
    """Parse every source under `paths`; check what spans sources (duplicate deck ids); build
    each document's cards and lint them (`ignore`: lint codes switched off for this run)."""
    result = Loaded()
    files, diags = discover(paths)
    result.diagnostics.extend(diags)
    seen_ids: dict[str, Document] = {}
    for f, _root in files:
        doc, file_diags = parse_file(f, display_path(f))
        result.diagnostics.extend(file_diags)
        if doc is None:
            continue
        if doc.id in seen_ids:
            first = seen_ids[doc.id]
            result.diagnostics.append(
                error(
                    doc.loc,
                    "P022",
                    f"deck id {doc.id!r} is also used by {first.path}; set a unique `id:`",
                )
            )
            continue
        seen_ids[doc.id] = doc
        result.documents.append(doc)
        cards = build_cards(doc)
        result.cards[doc.id] = cards
        result.diagnostics.extend(lint(doc, cards, ignore))
    result.diagnostics.sort(key=sort_key)
    return result


# --------------------------------------------------------------------------------------------
# `cardgen build`: sources -> decks/ (apkg, pdf) and the lock file

FORMATS = ("apkg", "pdf")
# Temp files of atomic writes: hidden, `.<output name>.<random>.cardgen-tmp`, so they never look
# like an output; a build removes the ones a killed build left behind.
TMP_SUFFIX = ".cardgen-tmp"


@dataclass
class BuildOptions:
    output: Path = Path("decks")
    formats: tuple[str, ...] = FORMATS
    check: bool = False  # build in memory, compare with `output`, write nothing
    reset_lock: bool = False  # ignore a (damaged) lock file and start a new one
    forget_removed: bool = False  # stop shipping tombstones of facts removed by earlier builds
    ignore: tuple[str, ...] = ()  # lint codes switched off for this run
    clock: int | None = None  # mod time for new/changed notes; default: lock.build_clock()
    pdf: object | None = None  # cardgen.writers.pdf.PdfOptions; None: its defaults


@dataclass
class DeckReport:
    doc_id: str
    deck: str
    path: str  # the source
    notes: int = 0
    cards: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    removed_keys: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    tombstones: int = 0  # removed notes still carried in the package (tagged cardgen::removed)
    forgotten: int = 0  # tombstones dropped by --forget-removed
    outputs: list[Path] = field(default_factory=list)


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    decks: list[DeckReport] = field(default_factory=list)
    outputs: dict[Path, bytes] = field(default_factory=dict)  # everything built, in memory
    written: list[Path] = field(default_factory=list)  # files whose bytes changed (written)
    stale: list[Path] = field(default_factory=list)  # --check: files that differ or are missing

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


Progress = Callable[[int, int, str], None]


def build(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> BuildResult:
    """Validate everything, build every output in memory, then write (or compare) them.

    Nothing is written when any error is found. Files are written atomically (temp file in the
    same folder, then `os.replace`), the lock file *first*: a build killed part-way leaves a
    lock at least as new as every deck, so the next build still gives changed notes a newer
    mod time than anything shipped (docs/anki.md#safety). Files whose bytes did not change are
    left alone. From reading the lock file to the last write the build holds an advisory lock
    on the output folder, so builds into one folder run one after the other; `on_wait` is
    called once when this build has to wait for another.
    """
    opts = options or BuildOptions()
    result = BuildResult()
    loaded = load(paths, opts.ignore)
    result.diagnostics.extend(loaded.diagnostics)
    if loaded.errors:
        return result
    out_dir = opts.output
    if out_dir.exists() and not out_dir.is_dir():
        result.diagnostics.append(
            error(Loc(display_path(out_dir)), "B001", "output path exists and is not a folder")
        )
        return result
    created = False
    if not opts.check and not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
            created = True
        except OSError as exc:
            result.diagnostics.append(
                error(
                    Loc(display_path(out_dir)),
                    "B002",
                    f"cannot create the output folder: {exc.strerror or exc}",
                )
            )
            return result
    if not opts.check and not os.access(out_dir, os.W_OK | os.X_OK):
        result.diagnostics.append(
            error(Loc(display_path(out_dir)), "B002", "the output folder is not writable")
        )
        return result
    try:
        held = _lock_folder(out_dir, not opts.check, on_wait) if out_dir.is_dir() else None
    except OSError as exc:
        result.diagnostics.append(
            error(
                Loc(display_path(out_dir)),
                "B002",
                f"cannot lock the output folder: {exc.strerror or exc}",
            )
        )
        return result
    try:
        return _build_into(loaded, opts, result, progress)
    finally:
        if created and not result.written:
            with contextlib.suppress(OSError):  # a failed first build leaves no empty folder
                out_dir.rmdir()
        if held is not None:
            os.close(held)  # releases the lock


def _lock_folder(folder: Path, exclusive: bool, on_wait: Callable[[Path], None] | None):
    """An advisory lock (flock) on the folder itself: exclusive for a build, shared for
    `--check`; no extra file. Returns the descriptor that holds it (closing it releases it), or
    None where flock is unavailable (Windows, some network file systems)."""
    if fcntl is None:
        return None
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    for _ in range(10):
        fd = os.open(folder, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait(folder)
                    on_wait = None
                fcntl.flock(fd, mode)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return None
            raise
        try:
            same = os.stat(folder).st_ino == os.fstat(fd).st_ino
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)  # the folder was removed or replaced while we waited: lock the new one
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
    raise OSError(errno.EAGAIN, "the folder keeps being replaced")


def _build_into(
    loaded: Loaded, opts: BuildOptions, result: BuildResult, progress: Progress | None
) -> BuildResult:
    """`build` once the sources are valid and the output folder is held."""
    from cardgen import lock as lockmod

    out_dir = opts.output
    lock_path = out_dir / lockmod.LOCK_NAME
    if opts.reset_lock:
        previous = lockmod.Lock()
    else:
        previous, lock_diags = lockmod.read(lock_path, display_path(lock_path))
        result.diagnostics.extend(lock_diags)
        if previous is None:
            return result
    clock = opts.clock if opts.clock is not None else lockmod.build_clock()

    want_apkg = "apkg" in opts.formats
    want_pdf = "pdf" in opts.formats
    outputs: dict[Path, bytes] = {}
    deck_locks: list[tuple[str, lockmod.DeckLock]] = []
    models: dict[str, lockmod.Entry] = {}
    pdf_writer = pdf_options = None
    if want_pdf:
        from cardgen.writers import pdf as pdf_writer  # typst stays lazy

        pdf_options = opts.pdf if opts.pdf is not None else pdf_writer.PdfOptions()
    if want_apkg:
        from cardgen.writers import apkg

        model_entry = lockmod.model_entry(previous.models.get("cardgen"), apkg.models_hash(), clock)
        models["cardgen"] = model_entry

    total = len(loaded.documents)
    for n, doc in enumerate(loaded.documents):
        if progress:
            progress(n, total, doc.path)
        cards = loaded.cards.get(doc.id)
        if cards is None:
            cards = build_cards(doc)
        report = DeckReport(doc.id, doc.deck, doc.path)
        if want_apkg:
            media, media_diags = _read_images(doc)
            result.diagnostics.extend(media_diags)
            if media_diags:
                continue
            names = apkg.media_names(media)
            contents = [apkg.note_content(card, doc, names) for card in cards]
            facts = lockmod.fact_fingerprints(doc, cards)
            specs = [
                lockmod.Spec(c.key, c.hash, c.model, c.cards, facts.get(c.key, ()))
                for c in contents
            ]
            plan = lockmod.reconcile(specs, previous.decks.get(doc.id), clock)
            if opts.forget_removed:
                report.forgotten = lockmod.forget_removed(plan)
            notes = [
                apkg.PackNote(content, d.identity, d.mod)
                for content, d in zip(contents, plan.notes)
            ]
            for key, entry in plan.tombstones:
                tomb = apkg.tombstone_content(key, entry.model, entry.cards, doc)
                notes.append(apkg.PackNote(tomb, entry.identity or key, entry.mod, cardless=True))
            used = {names[im.ref] for im in doc.images if _referenced(im.ref, cards)}
            packed = {names[ref]: data for ref, data in media.items() if names[ref] in used}
            path = out_dir / f"{doc.id}.apkg"
            outputs[path] = apkg.package(doc, notes, packed, model_entry.mod)
            deck_locks.append((doc.id, plan.deck))
            report.notes = len(plan.notes)
            report.cards = sum(c.cards for c in contents)
            report.new = plan.count("new")
            report.changed = plan.count("changed")
            report.unchanged = plan.count("unchanged")
            report.removed = len(plan.removed_now)
            report.removed_keys = plan.removed_now
            report.renamed = plan.renamed
            report.tombstones = len(plan.tombstones)
            report.outputs.append(path)
        if want_pdf and pdf_writer is not None:
            for suffix, render in (
                ("sheet", pdf_writer.render_sheet),
                ("cards", pdf_writer.render_cards),
            ):
                data, pdf_diags = render(doc, cards, pdf_options)
                # the sheet and the cards report the same missing glyphs: say it once
                result.diagnostics.extend(d for d in pdf_diags if d not in result.diagnostics)
                path = out_dir / f"{doc.id}.{suffix}.pdf"
                if data:
                    outputs[path] = data
                report.outputs.append(path)
        result.decks.append(report)
    if progress:
        progress(total, total, "")
    if want_apkg and not result.errors:
        new_lock = lockmod.merged(previous, deck_locks, models)
        outputs[lock_path] = lockmod.dumps(new_lock)
    result.diagnostics.sort(key=sort_key)
    result.outputs = outputs
    if result.errors:
        return result

    changed = [p for p, data in outputs.items() if _read_bytes(p) != data]
    if opts.check:
        result.stale = changed
        return result
    blocked = [p for p in changed if p.exists() and not p.is_file()]
    for p in blocked:
        result.diagnostics.append(
            error(Loc(display_path(p)), "B002", "cannot write output: a folder is in the way")
        )
    if blocked:
        return result
    remove_stale_temps(out_dir)
    target = out_dir
    try:
        # The lock file first, made durable before any deck: whatever point a kill (or a full
        # disk) stops the build at, no deck is newer than the lock (docs/anki.md#safety).
        for p in sorted(changed, key=lambda p: p != lock_path):
            target = p
            write_atomic(p, outputs[p])
            result.written.append(p)
            if p == lock_path:
                _sync_dir(out_dir)
        if changed:
            _sync_dir(out_dir)
    except OSError as exc:
        done = " (files already written are complete; build again)" if result.written else ""
        result.diagnostics.append(
            error(
                Loc(display_path(target)),
                "B002",
                f"cannot write output: {exc.strerror or exc}{done}",
            )
        )
    return result


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temp files that killed builds left in `folder` (only while holding its lock:
    then no other build is writing them); returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX):
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _sync_dir(folder: Path) -> None:
    """Make the renames in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_images(doc: Document) -> tuple[dict[str, bytes], list[Diagnostic]]:
    media: dict[str, bytes] = {}
    diags: list[Diagnostic] = []
    for im in doc.images:
        if im.ref in media:
            continue
        try:
            media[im.ref] = Path(im.path).read_bytes()
        except OSError as exc:
            diags.append(error(im.loc, "B003", f"cannot read image {im.ref!r}: {exc.strerror}"))
    return media, diags


def _referenced(ref: str, cards: Sequence[Card]) -> bool:
    """Anki imports only media that notes reference; pack only those."""
    return any(ref in t for c in cards for t in (c.prompt, c.answer, c.extra))


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, then `os.replace`: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
