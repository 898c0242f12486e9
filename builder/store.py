"""The on-disk layout of an output folder, and how it is replaced.

    OUT/stages/<stage>/shard-00000.jsonl    one record per article, in input order
    OUT/stages/<stage>/rejects-00000.jsonl  the inputs that stage rejected
    OUT/stages/ingest/inputs.jsonl          {"path", "sha256"} of every input file, in RAW's walk order
    OUT/stages/ingest/inputs.json           RAW, and the number of input files and the sha256 of inputs.jsonl

Shard k of every stage covers the same batch of input units (SHARD_SIZE of them), so a stage can
be rerun, or a build resumed, shard by shard. A shard's files are written as `*.partial` and take
their names only once the whole shard is written, so a killed build leaves finished shards and
partial files, never a half-written shard under a final name; `finished_shards` counts the shards
a resumed build keeps (builder/runner.py). Files are always created anew (mode "x"): the work
folder may hold hard links to the previous OUT (see `replacing`), and writing through one of them
would change the previous OUT in place.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterable, Iterator

from builder.errors import BuildError

STAGES = ("ingest", "segment", "detect", "attribute")
STAGES_DIR = "stages"
INPUTS_FILE = "inputs.json"
INPUT_LIST_FILE = "inputs.jsonl"
SHARD_SIZE = 1000
# A shard also ends once its inputs reach this many bytes: publish holds a shard's stage records at
# once, and 1000 articles of several MB each would be gigabytes.
SHARD_BYTES = 64 * 1024 * 1024
PARTIAL = ".partial"
# In a build's work folder only, never in OUT (removed before the swap, skipped by the manifest):
# what a killed build was building, so that the next one resumes from its finished shards.
RESUME_FILE = ".resume.json"
# Test hook: `BUILDER_KILL_AT=<point>` makes the build SIGKILL itself at that point, so a test can
# kill a build deterministically (tests/test_atomic.py). The points: "shard" (the first shard's
# files just got their names), "publish" (the datasets are written, the manifest is not),
# "swap" (the work folder is complete, OUT not yet replaced), "swapped" (OUT replaced, the
# previous one not yet removed).
KILL_AT_ENV = "BUILDER_KILL_AT"


def checkpoint(point: str) -> None:
    """SIGKILL this process if KILL_AT_ENV names this point (no cleanup runs: as a crash or OOM)."""
    if os.environ.get(KILL_AT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def stage_dir(out: Path, stage: str) -> Path:
    return Path(out) / STAGES_DIR / stage


def shard_path(out: Path, stage: str, index: int) -> Path:
    return stage_dir(out, stage) / f"shard-{index:05d}.jsonl"


def rejects_path(out: Path, stage: str, index: int) -> Path:
    return stage_dir(out, stage) / f"rejects-{index:05d}.jsonl"


def dumps(record: dict) -> str:
    """One JSON line; the same record always gives the same bytes."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def read_jsonl(path: Path, digests: dict | None = None) -> Iterator[dict]:
    """The records of a JSONL file; with digests, the file's sha256 goes into digests[path] once it
    is read to the end (hashed while reading: publish's manifest reads no stage file twice)."""
    if digests is None:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
        return
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for line in handle:
            digest.update(line)
            yield json.loads(line)
    digests[Path(path)] = digest.hexdigest()


def write_json(path: Path, obj) -> None:
    """Pretty, key-sorted JSON in a new file."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with open(path, "x", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps(record) + "\n")


class InputList:
    """The input list (INPUT_LIST_FILE), written as the files are read: `add(rel, sha256)` appends
    one {"path", "sha256"} line to a new file; `summary()`: {"files": how many, "sha256": of the
    lines written, so of the file}. Only the running hash stays in memory, so millions of input
    files cost no more than one."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.handle = open(path, "xb")
        self.files = 0
        self.digest = hashlib.sha256()

    def add(self, rel: str, sha256: str) -> None:
        line = (dumps({"path": rel, "sha256": sha256}) + "\n").encode("utf-8")
        self.handle.write(line)
        self.digest.update(line)
        self.files += 1

    def summary(self) -> dict:
        return {"files": self.files, "sha256": self.digest.hexdigest()}

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> "InputList":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def finished_shards(out: Path, stages: Iterable[str]) -> int:
    """How many shards, from shard 0 on, every given stage has finished (both files named)."""
    count = 0
    while all(shard_path(out, stage, count).is_file() and rejects_path(out, stage, count).is_file()
              for stage in stages):
        count += 1
    return count


def units_in_shards(out: Path, count: int) -> int:
    """How many input units the first `count` shards hold: each unit left one line in its ingest
    shard (an article) or in its ingest rejects (an input rejected there)."""
    total = 0
    for index in range(count):
        for path in (shard_path(out, "ingest", index), rejects_path(out, "ingest", index)):
            with open(path, "rb") as handle:
                total += sum(1 for _line in handle)
    return total


def shard_indices(out: Path, stage: str) -> list[int]:
    """Indices of the stage's shards; a BuildError saying what to run when the stage has none."""
    directory = stage_dir(out, stage)
    if not directory.is_dir():
        raise BuildError(f"{directory} is missing: run the `{stage}` stage first "
                         f"(`python -m builder {stage} --out {out}` or `make {stage}`)")
    return sorted(int(path.stem.split("-")[1]) for path in directory.glob("shard-*.jsonl"))


class StageWriter:
    """Writes per-article outcomes, in input order, into the shards of the given stages.

    An outcome is {"records": {stage: record}, "reject": reject record or None}. Every stage gets
    a shard file (maybe empty) for every shard index written, which keeps shards aligned. A shard
    is finished (its files renamed from *.partial) when the next one starts or the writer closes
    without an exception. keep_below: resume, keeping the finished shards below that index.
    """

    def __init__(self, out: Path, stages: Iterable[str], keep_below: int = 0):
        self.out = Path(out)
        self.stages = tuple(stages)
        self.index: int | None = None
        self.files: dict[tuple[str, str], object] = {}
        for stage in self.stages:
            if not keep_below:
                shutil.rmtree(stage_dir(self.out, stage), ignore_errors=True)
                stage_dir(self.out, stage).mkdir(parents=True)
                continue
            for path in stage_dir(self.out, stage).iterdir():
                if path.name.endswith(PARTIAL) or (path.name.startswith(("shard-", "rejects-"))
                                                   and int(path.name.split("-")[1].split(".")[0]) >= keep_below):
                    path.unlink()

    def write(self, shard: int, outcome: dict) -> None:
        if shard != self.index:
            self.start_shard(shard)
        for stage, record in outcome["records"].items():  # a record, or its line already made (dumps)
            self.files["shard", stage].write((record if isinstance(record, str) else dumps(record)) + "\n")
        if outcome["reject"] is not None:
            self.files["rejects", outcome["reject"]["stage"]].write(dumps(outcome["reject"]) + "\n")

    def start_shard(self, shard: int) -> None:
        self.finish_shard()
        self.index = shard
        for stage in self.stages:
            for kind, path in (("shard", shard_path(self.out, stage, shard)), ("rejects", rejects_path(self.out, stage, shard))):
                self.files[kind, stage] = open(f"{path}{PARTIAL}", "x", encoding="utf-8")

    def finish_shard(self) -> None:
        """Close the shard being written and give its files their names (rejects last)."""
        self.close()
        if self.index is None:
            return
        for stage in self.stages:
            for path in (shard_path(self.out, stage, self.index), rejects_path(self.out, stage, self.index)):
                os.rename(f"{path}{PARTIAL}", path)
        checkpoint("shard")

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        self.files = {}

    def __enter__(self) -> "StageWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.finish_shard()
        self.close()


def _looks_like_output(out: Path) -> bool:
    """An empty folder or one a build wrote: the only kind `replacing` may delete."""
    return not any(out.iterdir()) or (out / STAGES_DIR).is_dir() or (out / "manifest.json").is_file()


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


@contextmanager
def replacing(out: Path, *, start_from_current: bool, keep_work: bool = False) -> Iterator[Path]:
    """A work folder that replaces OUT when the block succeeds; OUT is untouched if it fails.

    The work folder is a sibling of OUT (same file system, so the final renames are cheap). With
    start_from_current it begins as a hard-linked copy of OUT, for commands that rewrite only a
    part of it. On Linux the work folder and OUT are exchanged in one atomic call (renameat2 with
    RENAME_EXCHANGE), so OUT is never absent and always a whole build; a build killed after the
    exchange leaves the previous OUT as the work folder, which the next call removes. Elsewhere
    (or on a file system without it), between the two final renames OUT is briefly absent; a build
    killed right there leaves the previous OUT as `.<name>.previous`, which the next call puts back.

    keep_work (build only): a work folder left by a killed build is kept, for the caller to resume
    from (or empty) after checking its RESUME_FILE; an interrupted (Ctrl-C) build keeps it too.
    """
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise BuildError(f"OUT {out} exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.building"
    previous = out.parent / f".{out.name}.previous"
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is writing {out}") from None
        if previous.is_dir() and not out.exists():
            previous.rename(out)  # a build was killed between its two final renames
        shutil.rmtree(previous, ignore_errors=True)
        if out.is_dir() and not _looks_like_output(out):
            raise BuildError(f"OUT {out} is not empty and holds no build output; refusing to replace it")
        if not (keep_work and (work / RESUME_FILE).is_file()):
            shutil.rmtree(work, ignore_errors=True)
        if start_from_current and out.is_dir():
            shutil.copytree(out, work, symlinks=True, copy_function=_link_or_copy)
        else:
            work.mkdir(exist_ok=True)
        try:
            yield work
        except BaseException as error:
            if not (keep_work and isinstance(error, KeyboardInterrupt)):
                shutil.rmtree(work, ignore_errors=True)
            raise
        (work / RESUME_FILE).unlink(missing_ok=True)
        checkpoint("swap")
        if out.exists() and exchange(work, out):
            previous = work  # the previous OUT, now under the work folder's name
        else:
            if out.exists():
                out.rename(previous)
            work.rename(out)
        checkpoint("swapped")
        shutil.rmtree(previous, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@cache
def _renameat2():
    """libc's renameat2, or None where there is none (not Linux, an old or another libc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False (nothing done) where that is unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), f"{a} <-> {b}")
