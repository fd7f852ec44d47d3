"""Orchestration: read and validate every source first; writers run only when nothing failed.

No printing and no exit codes here (that is `cli`'s job): functions return result objects.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: builds into one folder are not serialised
    fcntl = None  # type: ignore[assignment]

from cardgen.cards import build_cards
from cardgen.diagnostics import Diagnostic, diag, sort_key
from cardgen.lint import lint
from cardgen.model import Card, Document, Loc
from cardgen.source import discover, parse_file


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
                diag(
                    doc.meta_loc("id") or doc.loc,
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
    outputs: dict[Path, bytes] = field(default_factory=dict)  # everything built, in memory
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

    Nothing is written when any error is found. Each deck (parse, cards, lint, .apkg, PDFs) is
    built on its own, in worker processes when there are several (`BuildOptions.jobs`), which
    write new outputs to hidden temp files in the output folder; the decks whose inputs did not
    change since the last build (the build cache, `cardgen.build` docs) are not built again.
    Then the lock file is written atomically *first*, and the temp files are made durable and
    renamed over the old outputs: a build killed part-way leaves a lock at least as new as every
    deck, so the next build still gives changed notes a newer mod time than anything shipped
    (docs/anki.md#safety). Files whose bytes did not change are left alone. From reading the
    lock file to the last write the build holds an advisory lock on the output folder, so builds
    into one folder run one after the other; `on_wait` is called once when this build has to
    wait for another.
    """
    opts = options or BuildOptions()
    result = BuildResult()
    files, diags = discover(paths)
    result.diagnostics.extend(diags)
    if result.errors:
        result.diagnostics.sort(key=sort_key)
        return result
    out_dir = opts.output
    if out_dir.exists() and not out_dir.is_dir():
        result.diagnostics.append(
            _folder_error(out_dir, "B001", "output path exists and is not a folder")
        )
        return result
    created = False
    if not opts.check and not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
            created = True
        except FileExistsError:
            pass  # another build created it a moment ago: the folder lock below serialises us
        except OSError as exc:
            result.diagnostics.append(
                _folder_error(
                    out_dir, "B002", f"cannot create the output folder: {exc.strerror or exc}"
                )
            )
            return result
    if not opts.check and not os.access(out_dir, os.W_OK | os.X_OK):
        result.diagnostics.append(
            _folder_error(out_dir, "B002", "the output folder is not writable")
        )
        return result
    try:
        held = _lock_folder(out_dir, not opts.check, on_wait) if out_dir.is_dir() else None
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


# --------------------------------------------------------------------------------------------
# One deck: parse -> cards -> lint -> .apkg + PDFs (in a worker process or in this one)


@dataclass(frozen=True)
class _Context:
    """What every deck of one build shares (inherited by the worker processes)."""

    out_dir: Path
    want_apkg: bool
    want_pdf: bool
    check: bool
    forget_removed: bool
    ignore: tuple[str, ...]
    clock: int
    model_mod: int
    pdf_options: object | None
    keep_bytes: bool  # --check of a single deck: keep the bytes in BuildResult.outputs


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
    deck_lock: Any = None  # lock.DeckLock
    outputs: list[_Output] = field(default_factory=list)
    images: list[tuple[str, str, str]] = field(default_factory=list)  # (path, resolved, sha)
    data: dict[Path, bytes] = field(default_factory=dict)  # keep_bytes only
    fixpoint: bool = True  # building again from the lock this build writes gives the same
    cached: bool = False  # skipped: the build cache vouched for it

    @property
    def load_errors(self) -> bool:
        return any(d.is_error for d in self.parse_diags + self.lint_diags)


_CTX: _Context | None = None
_PREVIOUS: Any = None  # lock.DeckSource: the lock read, or a lock.DeckStore in a worker


def _init_worker(ctx: _Context, previous: Any) -> None:
    global _CTX, _PREVIOUS
    _CTX, _PREVIOUS = ctx, previous


def _deck_job(file: Path, shown: str) -> _Outcome:
    """Build one source's outputs (see `_Outcome`); never raises for bad input."""
    from cardgen import lock as lockmod

    ctx = _CTX
    assert ctx is not None
    out = _Outcome(file, shown)
    doc, diags = parse_file(file, shown)
    out.parse_diags = diags
    if doc is None:
        return out
    out.doc_id, out.doc_loc = doc.id, doc.meta_loc("id") or doc.loc  # P022, B012
    cards = build_cards(doc)
    out.lint_diags = lint(doc, cards, ctx.ignore)
    if out.load_errors:
        return out
    report = DeckReport(doc.id, doc.deck, doc.path)
    out.report = report
    try:
        if ctx.want_apkg:
            from cardgen.writers import apkg

            media, media_diags = _read_images(doc)
            out.write_diags.extend(media_diags)
            if media_diags:
                return out
            hashes = {ref: hashlib.sha256(data).hexdigest() for ref, data in media.items()}
            names = apkg.media_names(media)
            contents = apkg.note_contents(cards, doc, names)
            facts = lockmod.fact_fingerprints(doc, cards)
            specs = [
                lockmod.Spec(c.key, c.hash, c.model, c.cards, facts.get(c.key, ()))
                for c in contents
            ]
            previous_deck = _PREVIOUS.deck(doc.id)
            plan = lockmod.reconcile(specs, previous_deck, ctx.clock)
            plan.deck.since = lockmod.deck_since(previous_deck, ctx.clock)
            if ctx.forget_removed:
                report.forgotten = lockmod.forget_removed(plan)
                out.fixpoint = not plan.removed_now
            notes = [
                apkg.PackNote(content, d.identity, d.mod)
                for content, d in zip(contents, plan.notes)
            ]
            for key, entry in plan.tombstones:
                tomb = apkg.tombstone_content(key, entry.model, entry.cards, doc)
                notes.append(apkg.PackNote(tomb, entry.identity or key, entry.mod, cardless=True))
            used = {names[im.ref] for im in doc.images if _referenced(im.ref, cards)}
            packed = {names[ref]: data for ref, data in media.items() if names[ref] in used}
            n_cards = sum(c.cards for c in contents)
            del contents, specs, media
            path = ctx.out_dir / f"{doc.id}.apkg"
            scratch = None if ctx.check else ctx.out_dir
            data = apkg.package(doc, notes, packed, ctx.model_mod, scratch)
            _emit(out, path, data, ctx)
            del data
            del notes, packed
            plan.deck.source = _lock_relative(file, ctx.out_dir)
            out.deck_lock = plan.deck
            report.notes = len(plan.notes)
            report.cards = n_cards
            report.new = plan.count("new")
            report.changed = plan.count("changed")
            report.unchanged = plan.count("unchanged")
            report.removed = len(plan.removed_now)
            report.removed_keys = plan.removed_now
            report.renamed = plan.renamed
            report.tombstones = len(plan.tombstones)
            report.outputs.append(path)
            out.images = [
                (im.path, str(Path(im.path).resolve()), hashes[im.ref]) for im in doc.images
            ]
        else:
            out.images = [
                (im.path, str(Path(im.path).resolve()), _file_sha(Path(im.path)))
                for im in doc.images
            ]
        if ctx.want_pdf:
            from cardgen.writers import pdf as pdf_writer  # typst stays lazy

            options = ctx.pdf_options if ctx.pdf_options is not None else pdf_writer.PdfOptions()
            for suffix, render in (
                ("sheet", pdf_writer.render_sheet),
                ("cards", pdf_writer.render_cards),
            ):
                data, pdf_diags = render(doc, cards, options)
                # the sheet and the cards report the same missing glyphs: say it once
                out.write_diags.extend(d for d in pdf_diags if d not in out.write_diags)
                path = ctx.out_dir / f"{doc.id}.{suffix}.pdf"
                if data:
                    _emit(out, path, data, ctx)
                report.outputs.append(path)
    except OSError as exc:
        out.write_diags.append(
            diag(
                Loc(display_path(ctx.out_dir)),
                "B002",
                f"cannot write output: {exc.strerror or exc}",
            )
        )
    return out


def _emit(out: _Outcome, path: Path, data: bytes, ctx: _Context) -> None:
    """Record one output; when it differs from the file on disk, a build writes it to a temp
    file beside it (not yet flushed: the main process syncs it right before renaming it)."""
    sha = hashlib.sha256(data).hexdigest()
    o = _Output(path, sha, len(data), changed=_read_bytes(path) != data)
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


def _file_sha(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# The build


def _build_into(
    files: list[Path], opts: BuildOptions, result: BuildResult, progress: Progress | None
) -> BuildResult:
    """`build` once the output folder is held."""
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
    models: dict[str, lockmod.Entry] = {}
    model_mod = 0
    if want_apkg:
        from cardgen.writers import apkg

        model_entry = lockmod.model_entry(previous.models.get("cardgen"), apkg.models_hash(), clock)
        models["cardgen"] = model_entry
        model_mod = model_entry.mod
    pdf_options = opts.pdf
    if want_pdf and pdf_options is None:
        from cardgen.writers import pdf as pdf_writer

        pdf_options = pdf_writer.PdfOptions()

    # 1. The build cache: which sources can be skipped.
    cache = BuildCache.open(out_dir, opts.cache_dir) if opts.cache else None
    shown = [display_path(f) for f in files]
    keys: list[str | None] = [None] * len(files)
    outcomes: list[_Outcome | None] = [None] * len(files)
    if cache is not None:
        options_fp = _options_fingerprint(
            formats=sorted(opts.formats),
            ignore=sorted(opts.ignore),
            forget_removed=opts.forget_removed,
            reset_lock=opts.reset_lock,
            models={k: [e.hash, e.mod] for k, e in models.items()},
            pdf=repr(pdf_options) if want_pdf else "",
        )
        keys = [cache.source_key(f, s, options_fp) for f, s in zip(files, shown)]
        hits = cache.lookup(
            [(s, k) for s, k in zip(shown, keys)],
            previous.digest,
            out_dir,
        )
        for i, entry in enumerate(hits):
            if entry is not None:
                outcomes[i] = _cached_outcome(files[i], shown[i], entry, out_dir)

    # 2. Build the rest, in parallel when there are several.
    todo = [i for i, o in enumerate(outcomes) if o is None]
    ctx = _Context(
        out_dir=out_dir,
        want_apkg=want_apkg,
        want_pdf=want_pdf,
        check=opts.check,
        forget_removed=opts.forget_removed,
        ignore=tuple(opts.ignore),
        clock=clock,
        model_mod=model_mod,
        pdf_options=pdf_options,
        keep_bytes=opts.check and len(todo) <= 1,
    )
    total = len(files)
    done = total - len(todo)
    jobs = max(1, min(opts.jobs or os.cpu_count() or 1, len(todo)))
    try:
        if jobs == 1:
            _init_worker(ctx, previous)
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
            with (
                lockmod.DeckStore.spill(previous, None if ctx.check else out_dir) as decks,
                ProcessPoolExecutor(
                    jobs,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(ctx, decks),
                ) as pool,
            ):
                futures = [(i, pool.submit(_deck_job, files[i], shown[i])) for i in todo]
                for i, fut in futures:
                    if progress:
                        progress(done, total, shown[i])
                    outcomes[i] = fut.result()
                    done += 1
        if progress:
            progress(total, total, "")
        return _finish(
            [o for o in outcomes if o is not None],
            keys,
            opts,
            result,
            ctx,
            previous,
            models,
            cache,
            lock_path,
        )
    finally:
        for o in outcomes:  # whatever was not renamed into place
            for out in o.outputs if o is not None else ():
                if out.tmp:
                    Path(out.tmp).unlink(missing_ok=True)


def _cached_outcome(file: Path, shown: str, entry: dict, out_dir: Path) -> _Outcome:
    o = _Outcome(file, shown, cached=True)
    o.doc_id = entry["doc_id"]
    o.doc_loc = Loc(*entry["loc"])
    o.parse_diags = [_diag_from(d) for d in entry["load_diags"]]
    o.write_diags = [_diag_from(d) for d in entry["write_diags"]]
    report = DeckReport(o.doc_id, entry["deck"], shown)
    report.notes = report.unchanged = entry["notes"]
    report.cards = entry["cards"]
    report.tombstones = entry["tombstones"]
    report.outputs = [out_dir / name for name in entry["report_outputs"]]
    o.report = report
    o.outputs = [_Output(out_dir / n, sha, size, False) for n, sha, size in entry["outputs"]]
    o.images = [tuple(im) for im in entry["images"]]
    return o


def _diag_json(d: Diagnostic) -> list:
    return [d.loc.path, d.loc.line, d.loc.col, d.code, d.message, d.severity.value]


def _diag_from(item: list) -> Diagnostic:
    from cardgen.diagnostics import Severity

    path, line, col, code, message, severity = item
    return Diagnostic(Loc(path, line, col), code, message, Severity(severity))


def _finish(
    outcomes: list[_Outcome],
    keys: list[str | None],
    opts: BuildOptions,
    result: BuildResult,
    ctx: _Context,
    previous,
    models: dict,
    cache,
    lock_path: Path,
) -> BuildResult:
    from cardgen import lock as lockmod

    out_dir = opts.output
    # Cross-source check: a deck id used twice (the first source keeps it).
    seen: dict[str, _Outcome] = {}
    kept: list[_Outcome] = []
    load: list[Diagnostic] = []
    for o in outcomes:
        load.extend(o.parse_diags)
        if not o.doc_id:
            continue
        if o.doc_id in seen:
            assert o.doc_loc is not None
            load.append(
                diag(
                    o.doc_loc,
                    "P022",
                    f"deck id {o.doc_id!r} is also used by {seen[o.doc_id].shown}; "
                    "set a unique `id:`",
                )
            )
            continue
        seen[o.doc_id] = o
        kept.append(o)
        load.extend(o.lint_diags)
    result.diagnostics.extend(load)
    if any(d.is_error for d in load):
        result.diagnostics.sort(key=sort_key)
        return result
    for o in kept:
        result.diagnostics.extend(o.write_diags)
        if o.report is not None:
            result.decks.append(o.report)
    result.diagnostics.sort(key=sort_key)
    if result.errors:
        return result

    deck_locks = []
    if ctx.want_apkg:
        for o in kept:
            if o.deck_lock is not None and not o.cached:  # a cached deck: as it was
                deck_locks.append((o.doc_id, o.deck_lock))
    new_lock = previous.merged(deck_locks, models) if ctx.want_apkg else None
    if new_lock is not None:
        gone = _sourceless_decks(new_lock, kept, out_dir)
        moved = _deck_identity_warnings(gone, kept, previous, out_dir, opts.forget_removed)
        result.diagnostics.extend(moved)
        if any(d.is_error for d in moved):  # B014: write nothing
            result.diagnostics.sort(key=sort_key)
            return result
        if opts.forget_removed:
            for deck_id in gone:
                new_lock.drop(deck_id)
            result.forgotten_decks = sorted(gone)
        result.diagnostics.sort(key=sort_key)
    lock_changed = new_lock is not None and not _holds(lock_path, _lock_chunks(new_lock))
    for o in kept:
        result.outputs.update(o.data)
    if ctx.check and ctx.keep_bytes and new_lock is not None:
        result.outputs[lock_path] = b"".join(_lock_chunks(new_lock))

    changed = [out for o in kept for out in o.outputs if out.changed]
    if opts.check:
        result.stale = ([lock_path] if lock_changed else []) + [out.path for out in changed]
        if cache is not None:
            fresh = {
                o.doc_id
                for o in kept
                if not any(out.changed for out in o.outputs)
                and (
                    o.cached
                    or not ctx.want_apkg
                    or (
                        lockmod.deck_digest(o.doc_id, o.deck_lock)
                        if o.deck_lock is not None
                        else ""
                    )
                    == previous.digest(o.doc_id)
                )
            }
            _remember(cache, outcomes, keys, kept, fresh)
        return result
    blocked = [out.path for out in changed if out.blocked]
    if lock_changed and lock_path.exists() and not lock_path.is_file():
        blocked.insert(0, lock_path)
    for p in blocked:
        result.diagnostics.append(
            diag(Loc(display_path(p)), "B002", "cannot write output: a folder is in the way")
        )
    if blocked:
        return result
    remove_stale_temps(out_dir, keep={os.path.basename(out.tmp) for out in changed})
    target = out_dir
    try:
        # The lock file first, made durable before any deck: whatever point a kill (or a full
        # disk) stops the build at, no deck is newer than the lock (docs/anki.md#safety).
        if lock_changed and new_lock is not None:
            target = lock_path
            write_atomic(lock_path, _lock_chunks(new_lock))
            result.written.append(lock_path)
            _sync_dir(out_dir)
        for out in changed:
            target = out.path
            _commit_temp(out.tmp, out.path)
            out.tmp = ""
            result.written.append(out.path)
        if result.written:
            _sync_dir(out_dir)
    except OSError as exc:
        done = " (files already written are complete; build again)" if result.written else ""
        result.diagnostics.append(
            diag(
                Loc(display_path(target)),
                "B002",
                f"cannot write output: {exc.strerror or exc}{done}",
            )
        )
        return result
    if cache is not None:
        _remember(cache, outcomes, keys, kept, {o.doc_id for o in kept})
    return result


def _lock_relative(file: Path, out_dir: Path) -> str:
    """How the lock names a deck's source: relative to the lock's folder, `/`-separated, with
    symbolic links left as they are (a linked sources folder must not change the lock)."""
    try:
        return Path(os.path.relpath(os.path.abspath(file), os.path.abspath(out_dir))).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(file)).as_posix()


def _source_shown(source: str, out_dir: Path) -> str:
    """A source path from the lock as diagnostics show paths (from the working folder)."""
    return display_path(Path(os.path.normpath(out_dir / source)))


def _sourceless_decks(lock: Any, kept: list[_Outcome], out_dir: Path) -> dict[str, str]:
    """Decks of the lock that this build did not build and whose recorded source file is gone
    (deleted or renamed) or now builds another deck (its `id:` changed): deck id -> why.
    A deck counts as gone only when the folder its source was in is still there: if that
    folder is missing too, the output folder may have moved, and nothing can be said. Decks
    without a recorded source (a lock written before decks recorded theirs) never count."""
    built = {o.doc_id for o in kept}
    builds = {_lock_relative(o.file, out_dir): o.doc_id for o in kept}
    gone: dict[str, str] = {}
    for deck_id in lock:
        if deck_id in built:
            continue
        source = lock.source(deck_id)
        if not source:
            continue
        shown = _source_shown(source, out_dir)
        path = out_dir / source
        if source in builds:
            gone[deck_id] = f"{shown} now builds deck {builds[source]!r}"
        elif not path.exists() and path.parent.is_dir():
            gone[deck_id] = f"its source {shown} is gone"
    return gone


def _deck_identity_warnings(
    gone: dict[str, str],
    kept: list[_Outcome],
    previous: Any,
    out_dir: Path,
    forgetting: bool,
) -> list[Diagnostic]:
    """Warnings about decks whose facts moved to another deck id, which gives every note a new
    GUID: the facts' review history stays with the old notes unless the ids are put back.

    - B012, at the source now holding them: a deck holds at least half of its facts from a
      deck that is gone (a renamed file, a changed `id:`) or that now has other facts (ids
      swapped between two files, or a file renamed and its old name reused);
    - B013, at the lock: a deck that is gone and whose facts nobody holds (a deleted source).
    """
    from cardgen import lock as lockmod
    from cardgen.cards import deck_tag

    rebuilt = [o for o in kept if o.deck_lock is not None and not o.cached]
    displaced = dict(gone)  # deck id -> why its facts are not where they were
    old_facts: dict[str, frozenset[str]] = {}

    def before(deck_id: str) -> frozenset[str]:
        if deck_id not in old_facts:
            old_facts[deck_id] = previous.facts(deck_id)
        return old_facts[deck_id]

    now: dict[str, frozenset[str]] = {o.doc_id: lockmod.deck_facts(o.deck_lock) for o in rebuilt}
    for o in rebuilt:
        old = before(o.doc_id) if o.doc_id in previous else frozenset()
        if len(old) >= 2 and len(now[o.doc_id] & old) * 2 < len(old):
            displaced[o.doc_id] = f"which now has other facts (from {o.shown})"
    if not displaced:
        return []
    for o in kept:  # decks skipped by the cache may hold moved facts too
        if o.doc_id not in now and o.doc_id:
            now[o.doc_id] = (
                lockmod.deck_facts(o.deck_lock)
                if o.deck_lock is not None
                else previous.facts(o.doc_id)
            )

    def born(deck_id: str) -> int:  # a deck new in this build is the newest
        return previous.since(deck_id) if deck_id in previous else lockmod.MAX_MOD

    out: list[Diagnostic] = []
    held: set[str] = set()
    for o in kept:
        mine = now.get(o.doc_id, frozenset())
        if not mine or o.doc_loc is None:
            continue
        # Only an older deck's facts count: a newer one holding the same facts is a copy made
        # meanwhile (a renamed file, imported before its `id:` was put back). Between decks as
        # old as each other (first built together), only facts that moved count.
        mine_before = before(o.doc_id) if o.doc_id in previous else frozenset()
        mine_born = born(o.doc_id)
        moved: dict[str, int] = {}
        for d in displaced:
            if d != o.doc_id and born(d) < mine_born:
                moved[d] = len(mine & before(d))
            elif d != o.doc_id and born(d) == mine_born:
                moved[d] = len((mine & before(d)) - mine_before)
        if not moved:
            continue
        best = max(moved, key=lambda d: (moved[d], d))
        shared = moved[best]
        if shared * 2 < len(mine):
            continue
        held.add(best)
        why = displaced[best]
        if best not in gone:  # the other deck is built too, from other facts: stop
            out.append(
                diag(
                    o.doc_loc,
                    "B014",
                    f"deck {o.doc_id!r} holds {shared} of its {len(mine)} facts from deck "
                    f"{best!r} ({why}): if you swapped ids or reused a file name, set "
                    f"`id: {best}` here and give the other file another id. Nothing was "
                    "written: these packages would update the notes of one deck's facts "
                    "with another's, review history included",
                )
            )
            continue
        advice = (
            f"if you changed `id:`, set it back to `id: {best}`"
            if " now builds deck " in why
            else f"if you renamed the file or changed `id:`, set `id: {best}` here"
        )
        out.append(
            diag(
                o.doc_loc,
                "B012",
                f"deck {o.doc_id!r} holds {shared} of its {len(mine)} facts from deck "
                f"{best!r} ({why}): {advice}, to keep their notes and review history "
                "(otherwise Anki gets them as new notes beside the old ones)",
            )
        )
    if not forgetting:
        shown = display_path(out_dir / "cardgen.lock")
        for deck_id, why in gone.items():
            if deck_id in held:
                continue
            out.append(
                diag(
                    Loc(shown),
                    "B013",
                    f"deck {deck_id!r} has no source any more ({why}): its notes stay in "
                    f"Anki (search `tag:{deck_tag(deck_id)}` in the browser to delete them); "
                    "`cardgen build --forget-removed` drops it from the lock (then delete "
                    f"{display_path(out_dir / deck_id)}.apkg and its PDFs)",
                )
            )
    return out


def _remember(cache: BuildCache, outcomes, keys, kept, fresh: set[str]) -> None:
    """Record in the build cache the decks whose outputs are on disk as built."""
    from cardgen import lock as lockmod

    entries: dict[str, dict] = {}
    kept_ids = {id(o) for o in kept}
    for o, key in zip(outcomes, keys):
        if key is None or id(o) not in kept_ids or o.doc_id not in fresh or not o.fixpoint:
            continue
        if o.report is None or o.doc_loc is None:
            continue
        if o.cached:
            if o.shown in cache.entries:
                entries[o.shown] = cache.entries[o.shown]
            continue
        entries[o.shown] = {
            "key": key,
            "doc_id": o.doc_id,
            "deck": o.report.deck,
            "loc": [o.doc_loc.path, o.doc_loc.line, o.doc_loc.col],
            "deck_lock": (
                lockmod.deck_digest(o.doc_id, o.deck_lock) if o.deck_lock is not None else ""
            ),
            "load_diags": [_diag_json(d) for d in o.parse_diags + o.lint_diags],
            "write_diags": [_diag_json(d) for d in o.write_diags],
            "outputs": [[out.path.name, out.sha, out.size] for out in o.outputs],
            "report_outputs": [p.name for p in o.report.outputs],
            "images": [list(im) for im in o.images],
            "notes": o.report.notes,
            "cards": o.report.cards,
            "tombstones": o.report.tombstones,
        }
    cache.save(entries)


def _commit_temp(tmp: str, path: Path) -> None:
    """Make a worker's temp file durable, then rename it over `path`."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def remove_stale_temps(folder: Path, keep: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    """Remove the temp files that killed builds left in `folder` (only while holding its lock:
    then no other build is writing them), except this build's own (`keep`: file names);
    returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name in keep:
            continue
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


def _holds(path: Path, chunks: Iterable[bytes]) -> bool:
    """Whether the file at `path` holds exactly these bytes (compared piece by piece: the lock
    of 1,000 decks is 23 MB, and neither it nor the file is read whole)."""
    try:
        with open(path, "rb") as fh:
            for chunk in chunks:
                if fh.read(len(chunk)) != chunk:
                    return False
            return fh.read(1) == b""
    except OSError:
        return False


def _lock_chunks(lock: Any) -> Iterator[bytes]:
    from cardgen import lock as lockmod

    return lockmod.chunks(lock)


def _read_images(doc: Document) -> tuple[dict[str, bytes], list[Diagnostic]]:
    media: dict[str, bytes] = {}
    diags: list[Diagnostic] = []
    for im in doc.images:
        if im.ref in media:
            continue
        try:
            media[im.ref] = Path(im.path).read_bytes()
        except OSError as exc:
            diags.append(diag(im.loc, "B003", f"cannot read image {im.ref!r}: {exc.strerror}"))
    return media, diags


def _referenced(ref: str, cards: Sequence[Card]) -> bool:
    """Anki imports only media that notes reference; pack only those."""
    return any(ref in t for c in cards for t in (c.prompt, c.answer, c.extra))


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write via a temp file in the same folder, then `os.replace`: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                fh.writelines(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# The build cache
#
# Per output folder, one JSON file in `$XDG_CACHE_HOME/cardgen/builds/` (default ~/.cache): for
# each source (as named in diagnostics) the key of everything its outputs depend on — cardgen's
# version and a digest of its own code, templates and fonts, the build options, the note
# types' lock entry, the source's path and bytes — plus the digests of the images it used, of
# its deck's entries in the lock as this build wrote them, and of each output file as written.
# A later build skips the source only when all of these still match: the key, every image,
# the deck's lock entries, and every output file on disk (hashed again). The cache is never
# needed for correctness: delete it, or build with `--no-cache`, and every source is built.

CACHE_FORMAT = "cardgen-build-cache"
CACHE_VERSION = 1


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Digest of cardgen's version and of every file of the package (code, templates, CSS,
    fonts): any change to cardgen invalidates every cached deck."""
    import cardgen

    root = Path(cardgen.__file__).resolve().parent
    h = hashlib.sha256(f"cardgen {cardgen.__version__}\n".encode())
    for p in sorted(root.rglob("*")):
        if "__pycache__" in p.parts or not p.is_file() or p.suffix in (".pyc", ".pyo"):
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _options_fingerprint(**options: object) -> str:
    text = json.dumps([code_fingerprint(), options], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cache_home(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "cardgen" / "builds"


class BuildCache:
    def __init__(self, path: Path, folder: str, entries: dict[str, dict]) -> None:
        self.path = path
        self.folder = folder
        self.entries = entries

    @classmethod
    def open(cls, out_dir: Path, cache_dir: Path | None = None) -> BuildCache | None:
        try:
            where = str(out_dir.resolve())
            name = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()[:24]
            path = _cache_home(cache_dir) / f"{name}.json"
        except (OSError, RuntimeError):
            return None
        entries: dict[str, dict] = {}
        try:
            data = json.loads(path.read_bytes())
            if (
                isinstance(data, dict)
                and data.get("format") == CACHE_FORMAT
                and data.get("version") == CACHE_VERSION
                and data.get("folder") == where
                and isinstance(data.get("entries"), dict)
            ):
                entries = data["entries"]
        except (OSError, ValueError, RecursionError):
            pass
        return cls(path, where, entries)

    @staticmethod
    def source_key(file: Path, shown: str, options_fp: str) -> str | None:
        """Key of one source (None: not a regular file; it is built, and reports why)."""
        try:
            st = os.stat(file)
            if not stat.S_ISREG(st.st_mode):
                return None
            data = file.read_bytes()
            resolved = str(file.resolve())
        except (OSError, RuntimeError):
            return None
        h = hashlib.sha256(options_fp.encode())
        h.update(json.dumps([shown, resolved], ensure_ascii=False).encode("utf-8", "replace"))
        h.update(hashlib.sha256(data).digest())
        return h.hexdigest()

    def lookup(
        self,
        sources: list[tuple[str, str | None]],
        deck_digest: Callable[[str], str],
        out_dir: Path,
    ) -> list[dict | None]:
        """The valid entry of each (shown, key), or None: the source must be built. Valid: same
        key, same lock entries for its deck, and every image and output still hashes as
        recorded."""
        from concurrent.futures import ThreadPoolExecutor

        candidates: list[dict | None] = []
        for shown, key in sources:
            e = self.entries.get(shown) if key is not None else None
            try:
                ok = (
                    isinstance(e, dict)
                    and e["key"] == key
                    and (not e["deck_lock"] or e["deck_lock"] == deck_digest(e["doc_id"]))
                    and all(len(im) == 3 for im in e["images"])
                    and all(len(o) == 3 and o[0] == Path(o[0]).name for o in e["outputs"])
                )
            except (KeyError, TypeError):
                ok = False
            candidates.append(e if ok else None)

        def verify(e: dict | None) -> bool:
            if e is None:
                return False
            try:
                for path, resolved, sha in e["images"]:
                    if str(Path(path).resolve()) != resolved or _file_sha(Path(path)) != sha:
                        return False
                for name, sha, size in e["outputs"]:
                    p = out_dir / name
                    st = os.stat(p)
                    if not stat.S_ISREG(st.st_mode) or st.st_size != size or _file_sha(p) != sha:
                        return False
            except (OSError, RuntimeError, TypeError, ValueError):
                return False
            return True

        with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
            valid = list(pool.map(verify, candidates))
        return [e if ok else None for e, ok in zip(candidates, valid)]

    def save(self, entries: dict[str, dict]) -> None:
        if entries == self.entries:
            return
        data = {
            "format": CACHE_FORMAT,
            "version": CACHE_VERSION,
            "folder": self.folder,
            "entries": entries,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".cache.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written only costs time
