"""The on-disk layout of an output folder, and how it is replaced.

    OUT/stages/<stage>/shard-00000.jsonl    one record per article, in input order
    OUT/stages/<stage>/rejects-00000.jsonl  the inputs that stage rejected
    OUT/stages/ingest/inputs.json           RAW and the sha256 of every input file

Shard k of every stage covers the same batch of input units (SHARD_SIZE of them), so a stage can
be rerun, or a build resumed, shard by shard. Files are always created anew (mode "x"): the work
folder may hold hard links to the previous OUT (see `replacing`), and writing through one of them
would change the previous OUT in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from builder.errors import BuildError

STAGES = ("ingest", "segment", "detect", "attribute")
STAGES_DIR = "stages"
INPUTS_FILE = "inputs.json"
SHARD_SIZE = 1000


def stage_dir(out: Path, stage: str) -> Path:
    return Path(out) / STAGES_DIR / stage


def shard_path(out: Path, stage: str, index: int) -> Path:
    return stage_dir(out, stage) / f"shard-{index:05d}.jsonl"


def rejects_path(out: Path, stage: str, index: int) -> Path:
    return stage_dir(out, stage) / f"rejects-{index:05d}.jsonl"


def dumps(record: dict) -> str:
    """One JSON line; the same record always gives the same bytes."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def write_json(path: Path, obj) -> None:
    """Pretty, key-sorted JSON in a new file."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with open(path, "x", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps(record) + "\n")


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
    a shard file (maybe empty) for every shard index written, which keeps shards aligned.
    """

    def __init__(self, out: Path, stages: Iterable[str]):
        self.out = Path(out)
        self.stages = tuple(stages)
        self.index: int | None = None
        self.files: dict[tuple[str, str], object] = {}
        for stage in self.stages:
            shutil.rmtree(stage_dir(self.out, stage), ignore_errors=True)
            stage_dir(self.out, stage).mkdir(parents=True)

    def write(self, shard: int, outcome: dict) -> None:
        if shard != self.index:
            self.start_shard(shard)
        for stage, record in outcome["records"].items():
            self.files["shard", stage].write(dumps(record) + "\n")
        if outcome["reject"] is not None:
            self.files["rejects", outcome["reject"]["stage"]].write(dumps(outcome["reject"]) + "\n")

    def start_shard(self, shard: int) -> None:
        self.close()
        self.index = shard
        for stage in self.stages:
            self.files["shard", stage] = open(shard_path(self.out, stage, shard), "x", encoding="utf-8")
            self.files["rejects", stage] = open(rejects_path(self.out, stage, shard), "x", encoding="utf-8")

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        self.files = {}

    def __enter__(self) -> "StageWriter":
        return self

    def __exit__(self, *exc) -> None:
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
def replacing(out: Path, *, start_from_current: bool) -> Iterator[Path]:
    """A work folder that replaces OUT when the block succeeds; OUT is untouched if it fails.

    The work folder is a sibling of OUT (same file system, so the final renames are cheap). With
    start_from_current it begins as a hard-linked copy of OUT, for commands that rewrite only a
    part of it. Between the two final renames OUT is briefly absent; a build killed right there
    leaves the previous OUT as `.<name>.previous`, which the next call puts back.
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
        shutil.rmtree(work, ignore_errors=True)
        if start_from_current and out.is_dir():
            shutil.copytree(out, work, symlinks=True, copy_function=_link_or_copy)
        else:
            work.mkdir()
        try:
            yield work
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if out.exists():
            out.rename(previous)
        work.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
