"""The differential's HermiT work on several cores: worker processes, each with its own warm JVM.

JPype allows one JVM per process, so parallel HermiT means processes. The parent hands out
chunks of work on one queue (a free worker takes the next chunk) and is the only writer of the
HermiT cache file; each answer it gets back carries the new HermiT answers, which it records.
Two kinds of work:

- ``("types", [(key, N-Triples, subjects), ...])``: HermiT's types of reasoner case graphs
  (the type differential, :mod:`dvtkg.fast.differential`);
- ``("sheets", [(name, sheet), ...])``: whole assessments, the fast engine against the
  reference engine (:mod:`dvtkg.fast.wholejson`).

With one job everything runs in the calling process on its own objects (the tests' shared warm
HermiT). Workers are started with "spawn": a forked JVM is not safe.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef

from dvtkg.fast.differential import DiffCase, Reference
from dvtkg.fast.wholejson import CachedReferenceAssessor, compare_sheet

Task = tuple[str, list]


class Worker:
    """Does one chunk of work with a knowledge base, a fast engine and a cached HermiT reference."""

    def __init__(self, base: Any, reference: Reference) -> None:
        from dvtkg.assessment.pipeline import Assessor

        self.reference = reference
        self.base = base
        self.fast = Assessor(base.kb, engine="fast")  # the production path: lean sheet reader, compiled rules
        self.cached_reference = CachedReferenceAssessor(base, reference)

    @classmethod
    def start(cls, root: Path, cache_dir: Path | None, answer_files: tuple[Path, ...]) -> "Worker":
        """A worker process's own objects: the knowledge base loaded, the cache read, nothing written."""
        from dvtkg.assessment.pipeline import Assessor

        base = Assessor(root=root, engine="reference", lean=False)
        return cls(base, Reference(base.kb.owl_path, cache_dir, answer_files=answer_files, write=False))

    def handle(self, task: Task) -> tuple[str, list, list]:
        """(kind, results, HermiT answers given meanwhile as (key, row))."""
        kind, items = task
        out: list = []
        if kind == "types":
            for key, nt, subjects in items:
                g = Graph().parse(data=nt, format="nt")
                case = DiffCase(key, "worker", g, [URIRef(s) for s in subjects])
                _, seconds, cached = self.reference.types(case, key=key)
                out.append((key, self.reference.cache[key], 0.0 if cached else seconds))
        elif kind == "sheets":
            for name, sheet in items:
                live_before = len(self.reference.live_seconds)
                keys_before = len(self.cached_reference.used_keys)
                outcome = compare_sheet(self.fast, self.cached_reference, name, sheet)
                outcome.keys = self.cached_reference.used_keys[keys_before:]
                out.append((outcome, self.reference.live_seconds[live_before:]))
        else:
            raise ValueError(f"unknown differential task {kind!r}")
        fresh, self.reference.fresh = self.reference.fresh, []
        return kind, out, fresh


def _serve(root: Path, cache_dir: Path | None, answer_files: tuple[Path, ...], inbox: Any, outbox: Any) -> None:
    """A worker process's loop: chunks from the inbox until None, answers (or the error) to the outbox."""
    try:
        worker = Worker.start(root, cache_dir, answer_files)
    except Exception:  # noqa: BLE001 - reported to the parent, which stops with it
        outbox.put(("error", traceback.format_exc(), []))
        return
    while True:
        task = inbox.get()
        if task is None:
            return
        try:
            outbox.put(worker.handle(task))
        except Exception:  # noqa: BLE001
            outbox.put(("error", traceback.format_exc(), []))


def run_tasks(tasks: Iterable[Task], jobs: int, reference: Reference, on_result: Callable[[str, list], None],
              base: Any, stop: Callable[[], bool] = lambda: False, answer_files: tuple[Path, ...] = ()) -> None:
    """Do the tasks on ``jobs`` processes (1: here), handing each result to ``on_result``; the new HermiT
    answers are recorded in ``reference`` (and its cache file) here. ``stop()`` true: hand out no more."""
    if jobs <= 1:
        worker = Worker(base, reference)
        for task in tasks:
            if stop():
                break
            kind, out, _ = worker.handle(task)
            on_result(kind, out)
        return
    ctx = mp.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    cache_dir = reference.cache_path.parent if reference.cache_path else None
    procs = [ctx.Process(target=_serve, args=(base.kb.root, cache_dir, answer_files, inbox, outbox), daemon=True)
             for _ in range(jobs)]
    for p in procs:
        p.start()
    pending = 0
    it = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and pending < 2 * jobs:
                nxt: Task | None = None if stop() else next(it, None)
                if nxt is None:
                    exhausted = True
                    break
                inbox.put(nxt)
                pending += 1
            if pending == 0:
                break
            try:
                kind, out, fresh = outbox.get(timeout=30)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    raise RuntimeError("every differential worker process has stopped") from None
                continue
            if kind == "error":
                raise RuntimeError(f"a differential worker failed:\n{out}")
            pending -= 1
            for key, row in fresh:
                if key not in reference.cache:
                    reference.add(key, row)
            on_result(kind, out)
    finally:
        for _ in procs:
            inbox.put(None)
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
