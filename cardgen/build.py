"""`cardgen build`: every source through the pipeline and the writers, then the outputs
committed — all of them or none.

Read and check everything first (`cardgen.pipeline`, per source, in worker processes when there
are several); run the writers only for sources without errors; write only when no source of
the build had one. Then the lock file is written atomically *first*, and the outputs' temp files
are made durable and renamed over the old outputs, so a build killed part-way leaves a lock at
least as new as every deck (docs/anki.md#safety). Files whose bytes did not change are left
alone. No printing and no exit codes here (that is `cli`'s job): functions return results.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cardgen import lock as lockmod
from cardgen.cache import BuildCache, Entry, options_fingerprint
from cardgen.deck_identity import BuiltDeck, identity_warnings, lock_relative, sourceless_decks
from cardgen.diagnostics import Diagnostic, diag, sort_key
from cardgen.fsutil import (
    TMP_SUFFIX,
    commit_temp,
    display_path,
    file_sha,
    holds,
    lock_folder,
    read_bytes,
    remove_stale_temps,
    sync_dir,
    write_atomic,
)
from cardgen.lock import DeckLock, DeckSource, Lock
from cardgen.model import Loc
from cardgen.pipeline import check_source, deck_input, duplicate_ids, read_images
from cardgen.writers.base import DeckOutput, Writer
from cardgen.writers.pdf.fallback import fonts_fingerprint

if TYPE_CHECKING:
    from cardgen.writers.pdf import PdfOptions

FORMATS = ("apkg", "pdf")


@dataclass
class BuildOptions:
    output: Path = Path("decks")
    formats: tuple[str, ...] = FORMATS
    check: bool = False  # build in memory, compare with `output`, write nothing
    reset_lock: bool = False  # ignore a (damaged) lock file and start a new one
    forget_removed: bool = False  # stop shipping tombstones of facts removed by earlier builds
    ignore: tuple[str, ...] = ()  # lint codes switched off for this run
    clock: int | None = None  # mod time for new/changed notes; default: lock.build_clock()
    pdf: PdfOptions | None = None  # None: the PDF writer's defaults
    jobs: int | None = None  # worker processes; None: one per CPU; 1: build in this process
    cache: bool = True  # skip the sources whose outputs the build cache vouches for
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/cardgen/builds


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
    outputs: dict[Path, bytes] = field(default_factory=dict)  # --check of one deck: the bytes
    written: list[Path] = field(default_factory=list)  # files whose bytes changed (written)
    stale: list[Path] = field(default_factory=list)  # --check: files that differ or are missing
    forgotten_decks: list[str] = field(default_factory=list)  # --forget-removed: sourceless decks

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


Progress = Callable[[int, int, str], None]


def _folder_error(out_dir: Path, code: str, message: str) -> Diagnostic:
    """A diagnostic about the output folder itself, located at its path."""
    return diag(Loc(display_path(out_dir)), code, message)


def build(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> BuildResult:
    """Validate everything, build every output, then write (or compare) them.

    Nothing is written when any error is found. The decks whose inputs did not change since the
    last build (`cardgen.cache`) are not built again. From reading the lock file to the last
    write the build holds an advisory lock on the output folder, so builds into one folder run
    one after the other; `on_wait` is called once when this build has to wait for another.
    """
    from cardgen.source import discover

    opts = options or BuildOptions()
    result = BuildResult()
    files, diags = discover(paths)
    result.diagnostics.extend(diags)
    if result.errors:
        result.diagnostics.sort(key=sort_key)
        return result
    out_dir = opts.output
    created, problem = _prepare_folder(out_dir, opts.check)
    if problem is not None:
        result.diagnostics.append(problem)
        return result
    try:
        held = lock_folder(out_dir, not opts.check, on_wait) if out_dir.is_dir() else None
    except OSError as exc:
        result.diagnostics.append(
            _folder_error(out_dir, "B002", f"cannot lock the output folder: {exc.strerror or exc}")
        )
        return result
    try:
        return _build_into([f for f, _root in files], opts, result, progress)
    finally:
        if created and not result.written:
            with contextlib.suppress(OSError):  # a failed first build leaves no empty folder
                out_dir.rmdir()
        if held is not None:
            os.close(held)  # releases the lock


def _prepare_folder(out_dir: Path, check: bool) -> tuple[bool, Diagnostic | None]:
    """Make sure the output folder can be written (created when missing, unless `--check`):
    (whether this build created it, the problem B001/B002 if any)."""
    if out_dir.exists() and not out_dir.is_dir():
        return False, _folder_error(out_dir, "B001", "output path exists and is not a folder")
    created = False
    if not check and not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
            created = True
        except FileExistsError:
            pass  # another build created it a moment ago: the folder lock serialises us
        except OSError as exc:
            why = f"cannot create the output folder: {exc.strerror or exc}"
            return False, _folder_error(out_dir, "B002", why)
    if not check and not os.access(out_dir, os.W_OK | os.X_OK):
        return created, _folder_error(out_dir, "B002", "the output folder is not writable")
    return created, None


# --------------------------------------------------------------------------------------------
# One deck: the pipeline, then every writer (in a worker process or in this one)


@dataclass(frozen=True)
class _Context:
    """What every deck of one build shares (inherited by the worker processes)."""

    out_dir: Path
    check: bool
    ignore: tuple[str, ...]
    writers: tuple[Writer, ...]
    keep_bytes: bool  # --check of a single deck: keep the bytes in BuildResult.outputs

    @property
    def uses_media(self) -> bool:
        return any(getattr(w, "uses_media", False) for w in self.writers)


@dataclass
class _Output:
    path: Path
    sha: str
    size: int
    changed: bool  # differs from the file on disk (or the file is missing)
    tmp: str = ""  # temp file holding the new bytes (a build, when changed)
    blocked: bool = False  # a folder (or other non-file) is in the way


@dataclass
class _Outcome:
    """What building one source gave: small, so it travels back from a worker cheaply."""

    file: Path
    shown: str
    doc_id: str = ""
    doc_loc: Loc | None = None
    parse_diags: list[Diagnostic] = field(default_factory=list)
    lint_diags: list[Diagnostic] = field(default_factory=list)
    write_diags: list[Diagnostic] = field(default_factory=list)
    report: DeckReport | None = None
    deck_lock: DeckLock | None = None  # the deck's new lock entries (an .apkg was built)
    outputs: list[_Output] = field(default_factory=list)
    images: list[tuple[str, str, str]] = field(default_factory=list)  # (path, resolved, sha)
    data: dict[Path, bytes] = field(default_factory=dict)  # keep_bytes only
    fixpoint: bool = True  # building again from the lock this build writes gives the same
    cached: bool = False  # skipped: the build cache vouched for it

    @property
    def load_errors(self) -> bool:
        return any(d.is_error for d in self.parse_diags + self.lint_diags)


_CTX: _Context | None = None


def _init_worker(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def _deck_job(file: Path, shown: str) -> _Outcome:
    """Build one source's outputs (see `_Outcome`); never raises for bad input."""
    ctx = _CTX
    assert ctx is not None
    checked = check_source(file, shown, ctx.ignore)
    out = _Outcome(file, shown, parse_diags=checked.parse_diagnostics)
    out.lint_diags = checked.lint_diagnostics
    if checked.doc is None:
        return out
    doc = checked.doc
    out.doc_id, out.doc_loc = doc.id, checked.id_loc  # P022, B012
    if out.load_errors:
        return out
    out.report = DeckReport(doc.id, doc.deck, doc.path)
    media: dict[str, bytes] = {}
    if ctx.uses_media:
        media, media_diags = read_images(doc)
        out.write_diags.extend(media_diags)
        if media_diags:
            return out
    hashes = {ref: hashlib.sha256(data).hexdigest() for ref, data in media.items()}
    out.images = [
        (im.path, str(Path(im.path).resolve()), hashes.get(im.ref) or file_sha(Path(im.path)))
        for im in doc.images
    ]
    deck = deck_input(checked, media)
    del checked, media
    try:
        for writer in ctx.writers:
            _take(out, writer, writer.write(deck), ctx)
    except OSError as exc:
        where = Loc(display_path(ctx.out_dir))
        out.write_diags.append(diag(where, "B002", f"cannot write output: {exc.strerror or exc}"))
    return out


def _take(out: _Outcome, writer: Writer, written: DeckOutput, ctx: _Context) -> None:
    """Record what one writer made of the deck: its files, diagnostics, counts, lock."""
    report = out.report
    assert report is not None
    # the sheet and the cards report the same missing glyphs: say each problem once
    out.write_diags.extend(d for d in written.diagnostics if d not in out.write_diags)
    while written.files:
        name, data = written.files.pop(0)
        _emit(out, ctx.out_dir / name, data, ctx)
        del data
    report.outputs.extend(ctx.out_dir / name for name in writer.file_names(report.doc_id))
    if written.counts is not None:
        c = written.counts
        report.notes, report.cards, report.forgotten = c.notes, c.cards, c.forgotten
        report.new, report.changed, report.unchanged = c.new, c.changed, c.unchanged
        report.removed, report.removed_keys = len(c.removed_keys), c.removed_keys
        report.renamed, report.tombstones = c.renamed, c.tombstones
    if written.lock is not None:
        written.lock.source = lock_relative(out.file, ctx.out_dir)
        out.deck_lock = written.lock
    out.fixpoint = out.fixpoint and written.fixpoint


def _emit(out: _Outcome, path: Path, data: bytes, ctx: _Context) -> None:
    """Record one output; when it differs from the file on disk, a build writes it to a temp
    file beside it (not yet flushed: the main process syncs it right before renaming it)."""
    sha = hashlib.sha256(data).hexdigest()
    o = _Output(path, sha, len(data), changed=read_bytes(path) != data)
    if ctx.keep_bytes:
        out.data[path] = data
    if o.changed and not ctx.check:
        if path.exists() and not path.is_file():
            o.blocked = True
        else:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
            o.tmp = tmp
            out.outputs.append(o)  # recorded first: removed again if the write fails
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return
    out.outputs.append(o)


# --------------------------------------------------------------------------------------------
# The build


@dataclass
class _Run:
    """One build once the output folder is held: what every step after the decks needs."""

    opts: BuildOptions
    result: BuildResult
    previous: Lock
    models: dict[str, lockmod.Entry]
    cache: BuildCache | None
    lock_path: Path
    outcomes: list[_Outcome] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    keep_bytes: bool = False

    @property
    def want_apkg(self) -> bool:
        return "apkg" in self.opts.formats


def _writers(run: _Run, previous: DeckSource, clock: int) -> tuple[Writer, ...]:
    """The writers of the formats asked for, in the order their files are reported."""
    writers: list[Writer] = []
    if run.want_apkg:
        from cardgen.writers.apkg import ApkgWriter

        scratch = None if run.opts.check else run.opts.output
        model_mod = run.models["cardgen"].mod
        writers.append(ApkgWriter(previous, clock, model_mod, run.opts.forget_removed, scratch))
    if "pdf" in run.opts.formats:
        from cardgen.writers.pdf import PdfWriter

        writers.append(PdfWriter(run.opts.pdf))
    return tuple(writers)


def _build_into(
    files: list[Path], opts: BuildOptions, result: BuildResult, progress: Progress | None
) -> BuildResult:
    """`build` once the output folder is held."""
    lock_path = opts.output / lockmod.LOCK_NAME
    if opts.reset_lock:
        previous: Lock | None = Lock()
    else:
        previous, lock_diags = lockmod.read(lock_path, display_path(lock_path))
        result.diagnostics.extend(lock_diags)
    if previous is None:
        return result
    clock = opts.clock if opts.clock is not None else lockmod.build_clock()
    if "pdf" in opts.formats and opts.pdf is None:
        from cardgen.writers.pdf import PdfOptions

        opts = _with_pdf(opts, PdfOptions())
    models: dict[str, lockmod.Entry] = {}
    if "apkg" in opts.formats:
        from cardgen.writers.apkg import models_hash

        models["cardgen"] = lockmod.model_entry(
            previous.models.get("cardgen"), models_hash(), clock
        )
    cache = BuildCache.open(opts.output, opts.cache_dir) if opts.cache else None
    run = _Run(opts, result, previous, models, cache, lock_path)
    shown = [display_path(f) for f in files]
    outcomes = _cached_outcomes(run, files, shown)
    todo = [i for i, o in enumerate(outcomes) if o is None]
    run.keep_bytes = opts.check and len(todo) <= 1
    jobs = max(1, min(opts.jobs or os.cpu_count() or 1, len(todo)))
    try:
        spill: AbstractContextManager[DeckSource] = (
            nullcontext(previous)
            if jobs == 1
            else lockmod.DeckStore.spill(previous, None if opts.check else opts.output)
        )
        with spill as decks:
            ctx = _Context(
                opts.output, opts.check, opts.ignore, _writers(run, decks, clock), run.keep_bytes
            )
            _run_jobs(ctx, jobs, files, shown, outcomes, todo, progress)
        run.outcomes = [o for o in outcomes if o is not None]
        return _finish(run)
    finally:
        for o in outcomes:  # whatever was not renamed into place
            for out in o.outputs if o is not None else ():
                if out.tmp:
                    Path(out.tmp).unlink(missing_ok=True)


def _with_pdf(opts: BuildOptions, pdf: PdfOptions) -> BuildOptions:
    from dataclasses import replace

    return replace(opts, pdf=pdf)


def _run_jobs(
    ctx: _Context,
    jobs: int,
    files: list[Path],
    shown: list[str],
    outcomes: list[_Outcome | None],
    todo: list[int],
    progress: Progress | None,
) -> None:
    """Build the sources of `todo` into `outcomes`, in worker processes when `jobs` > 1."""
    total = len(files)
    done = total - len(todo)
    if jobs == 1:
        _init_worker(ctx)
        for i in todo:
            if progress:
                progress(done, total, shown[i])
            outcomes[i] = _deck_job(files[i], shown[i])
            done += 1
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: workers start clean (a fork would inherit Typst's threads, if this process
        # already compiled, and could deadlock in them)
        with ProcessPoolExecutor(
            jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(ctx,),
        ) as pool:
            futures = [(i, pool.submit(_deck_job, files[i], shown[i])) for i in todo]
            for i, fut in futures:
                if progress:
                    progress(done, total, shown[i])
                outcomes[i] = fut.result()
                done += 1
    if progress:
        progress(total, total, "")


# --------------------------------------------------------------------------------------------
# The build cache: outcomes of the sources a build skips, and what it remembers


def _cached_outcomes(run: _Run, files: list[Path], shown: list[str]) -> list[_Outcome | None]:
    """An outcome for each source the build cache vouches for, None for the others; sets
    `run.keys` (each source's cache key)."""
    run.keys = [None] * len(files)
    if run.cache is None:
        return [None] * len(files)
    opts = run.opts
    options_fp = options_fingerprint(
        formats=sorted(opts.formats),
        ignore=sorted(opts.ignore),
        forget_removed=opts.forget_removed,
        reset_lock=opts.reset_lock,
        models={k: [e.hash, e.mod] for k, e in run.models.items()},
        pdf=repr(opts.pdf) if "pdf" in opts.formats else "",
        # the fonts a PDF may fall back to: installing one rebuilds the PDFs it could change
        pdf_fonts=fonts_fingerprint(opts.pdf.fonts if opts.pdf else ())
        if "pdf" in opts.formats
        else "",
    )
    run.keys = [run.cache.source_key(f, s, options_fp) for f, s in zip(files, shown)]
    hits = run.cache.lookup(list(zip(shown, run.keys)), _digest_or_none(run.previous), opts.output)
    return [
        None if entry is None else _outcome_from(files[i], shown[i], entry, opts.output)
        for i, entry in enumerate(hits)
    ]


def _digest_or_none(lock: Lock) -> Callable[[str], str]:
    return lambda deck_id: lock.digest(deck_id) or "none"


def _outcome_from(file: Path, shown: str, entry: Entry, out_dir: Path) -> _Outcome:
    o = _Outcome(file, shown, cached=True)
    o.doc_id, o.doc_loc = entry.doc_id, entry.loc
    o.parse_diags = list(entry.load_diags)
    o.write_diags = list(entry.write_diags)
    report = DeckReport(o.doc_id, entry.deck, shown)
    report.notes = report.unchanged = entry.notes
    report.cards = entry.cards
    report.tombstones = entry.tombstones
    report.outputs = [out_dir / name for name in entry.report_outputs]
    o.report = report
    o.outputs = [_Output(out_dir / n, sha, size, False) for n, sha, size in entry.outputs]
    o.images = list(entry.images)
    return o


def _remember(run: _Run, kept: list[_Outcome], fresh: set[str], new_lock: Lock | None) -> None:
    """Record in the build cache the decks whose outputs are on disk as built."""
    cache = run.cache
    if cache is None:
        return
    entries: dict[str, Entry] = {}
    kept_ids = {id(o) for o in kept}
    for o, key in zip(run.outcomes, run.keys):
        if key is None or id(o) not in kept_ids or o.doc_id not in fresh or not o.fixpoint:
            continue
        if o.report is None or o.doc_loc is None:
            continue
        if o.cached:
            if o.shown in cache.entries:
                entries[o.shown] = cache.entries[o.shown]
            continue
        entries[o.shown] = Entry(
            key=key,
            doc_id=o.doc_id,
            deck=o.report.deck,
            loc=o.doc_loc,
            deck_lock=new_lock.digest(o.doc_id) if o.deck_lock and new_lock else "",
            load_diags=tuple(o.parse_diags + o.lint_diags),
            write_diags=tuple(o.write_diags),
            outputs=tuple((out.path.name, out.sha, out.size) for out in o.outputs),
            report_outputs=tuple(p.name for p in o.report.outputs),
            images=tuple(o.images),
            notes=o.report.notes,
            cards=o.report.cards,
            tombstones=o.report.tombstones,
        )
    cache.save(entries)


# --------------------------------------------------------------------------------------------
# Finishing: cross-source checks, the new lock, then compare (--check) or commit


def _finish(run: _Run) -> BuildResult:
    result = run.result
    kept = _checked(run)
    if kept is None:
        return result
    new_lock = None
    if run.want_apkg:
        new_lock = _new_lock(run, kept)
        if new_lock is None:  # B014: write nothing
            return result
    for o in kept:
        result.outputs.update(o.data)
    if run.opts.check:
        _compare(run, kept, new_lock)
        return result
    _commit(run, kept, new_lock)
    return result


def _checked(run: _Run) -> list[_Outcome] | None:
    """The decks that keep their id (P022), with every load and write diagnostic reported;
    None when any is an error (then nothing is written)."""
    result = run.result
    outcomes = run.outcomes
    kept_at, dup = duplicate_ids((o.doc_id, o.doc_loc, o.shown) for o in outcomes)
    kept = [outcomes[i] for i in kept_at]
    load = [d for o in outcomes for d in o.parse_diags]
    load += [d for o in kept for d in o.lint_diags] + dup
    result.diagnostics.extend(load)
    if any(d.is_error for d in load):
        result.diagnostics.sort(key=sort_key)
        return None
    for o in kept:
        result.diagnostics.extend(o.write_diags)
        if o.report is not None:
            result.decks.append(o.report)
    result.diagnostics.sort(key=sort_key)
    return None if result.errors else kept


def _new_lock(run: _Run, kept: list[_Outcome]) -> Lock | None:
    """The lock to write: the decks built now replace theirs; with the deck identity checks
    (B012, B013; None after a B014 error) and `--forget-removed`'s sourceless decks dropped."""
    result, previous, out_dir = run.result, run.previous, run.opts.output
    built_now = [(o.doc_id, o.deck_lock) for o in kept if o.deck_lock is not None and not o.cached]
    new_lock = previous.merged(built_now, run.models)
    built = [
        BuiltDeck(
            o.doc_id,
            o.file,
            o.shown,
            o.doc_loc,
            lockmod.deck_facts(o.deck_lock) if o.deck_lock is not None and not o.cached else None,
        )
        for o in kept
        if o.doc_loc is not None
    ]
    gone = sourceless_decks(new_lock, built, out_dir)
    forgetting = run.opts.forget_removed
    moved = identity_warnings(gone, built, previous, new_lock, out_dir, forgetting)
    result.diagnostics.extend(moved)
    result.diagnostics.sort(key=sort_key)
    if any(d.is_error for d in moved):
        return None
    if forgetting:
        for deck_id in gone:
            new_lock.drop(deck_id)
        result.forgotten_decks = sorted(gone)
    return new_lock


def _compare(run: _Run, kept: list[_Outcome], new_lock: Lock | None) -> None:
    """`--check`: name the files that differ from what this build made; write nothing."""
    lock_path, result = run.lock_path, run.result
    lock_changed = new_lock is not None and not holds(lock_path, lockmod.chunks(new_lock))
    if run.keep_bytes and new_lock is not None:
        result.outputs[lock_path] = lockmod.dumps(new_lock)
    changed = [out.path for o in kept for out in o.outputs if out.changed]
    result.stale = ([lock_path] if lock_changed else []) + changed
    fresh = {
        o.doc_id
        for o in kept
        if not any(out.changed for out in o.outputs)
        and (o.cached or new_lock is None or o.deck_lock == run.previous.deck(o.doc_id))
    }
    _remember(run, kept, fresh, new_lock)


def _commit(run: _Run, kept: list[_Outcome], new_lock: Lock | None) -> None:
    """Write the lock, then rename every changed output into place (see the module doc)."""
    result, lock_path, out_dir = run.result, run.lock_path, run.opts.output
    lock_changed = new_lock is not None and not holds(lock_path, lockmod.chunks(new_lock))
    changed = [out for o in kept for out in o.outputs if out.changed]
    blocked = [out.path for out in changed if out.blocked]
    if lock_changed and lock_path.exists() and not lock_path.is_file():
        blocked.insert(0, lock_path)
    for p in blocked:
        result.diagnostics.append(
            diag(Loc(display_path(p)), "B002", "cannot write output: a folder is in the way")
        )
    if blocked:
        return
    remove_stale_temps(out_dir, keep={os.path.basename(out.tmp) for out in changed})
    target = out_dir
    try:
        # The lock file first, made durable before any deck: whatever point a kill (or a full
        # disk) stops the build at, no deck is newer than the lock (docs/anki.md#safety).
        if lock_changed and new_lock is not None:
            target = lock_path
            write_atomic(lock_path, lockmod.chunks(new_lock))
            result.written.append(lock_path)
            sync_dir(out_dir)
        for out in changed:
            target = out.path
            commit_temp(out.tmp, out.path)
            out.tmp = ""
            result.written.append(out.path)
        if result.written:
            sync_dir(out_dir)
    except OSError as exc:
        done = " (files already written are complete; build again)" if result.written else ""
        result.diagnostics.append(
            diag(
                Loc(display_path(target)),
                "B002",
                f"cannot write output: {exc.strerror or exc}{done}",
            )
        )
        return
    _remember(run, kept, {o.doc_id for o in kept}, new_lock)
