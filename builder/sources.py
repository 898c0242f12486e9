"""Input readers: every article file format under RAW, streamed one input unit at a time.

    *.txt                 one article a file (builder/ingest.py reads these itself)
    *.jsonl, *.jsonl.gz   one article a line
    *.parquet             one article a row, read one record batch at a time
    *.arrow               one article a row: Arrow IPC files, which is what `save_to_disk` writes
                          (a folder with state.json is read through the data files it lists)

Rows of every format become the same input unit as a JSONL line (a `Source` whose payload is one
JSON object), so ingest treats them alike and rejects a row without an id or text the same way.
The article id and text are read from the columns `id` and `text`; `Columns` names others
(`--id-column`, `--text-column`). `source_line` is the 1-based line (JSONL) or row (tables) number.

Nothing here holds more than one record batch (or one line) of a file: memory does not grow with
the corpus. Nothing in the input is evaluated or unpickled.

Each file's sha256 (the input list of the manifest) is computed from the bytes as they are read,
not in a pass of its own: `iter_units` hands it to its `digests` callback once the file is read
to its end. JSONL files are read front to back, so the digest is of exactly the bytes read; a
table is read by pyarrow where it likes (the footer first, only the wanted columns), so a table
file is hashed in one streamed read just before pyarrow reads it, from the page cache.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from builder.ingest import OPTIONAL_FIELDS, Rejected, Source

TXT = (".txt",)
JSONL = (".jsonl", ".jsonl.gz")
TABLES = (".parquet", ".arrow")
SUFFIXES = TXT + JSONL + TABLES
# Rows per record batch read from a table: small enough that a batch of long articles stays a few
# megabytes, large enough that the per-batch cost vanishes.
BATCH_ROWS = 256
DATASET_STATE = "state.json"  # written by save_to_disk next to its data files


@dataclass(frozen=True)
class Columns:
    """Where a table or JSON object keeps the article id and text."""

    id: str = "id"
    text: str = "text"

    @property
    def is_default(self) -> bool:
        return (self.id, self.text) == ("id", "text")

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text}


DEFAULT_COLUMNS = Columns()


def suffix_of(path: Path | str) -> str | None:
    """The input format suffix of a file name (".jsonl.gz" counts as one), or None."""
    name = (path if isinstance(path, str) else path.name).lower()
    return next((suffix for suffix in SUFFIXES if name.endswith(suffix)), None)


def is_input(path: Path) -> bool:
    """Whether path is an article file of a known format; .arrow files of a saved dataset count
    only when its state.json lists them (a dataset folder may also hold cache files)."""
    return _is_input(str(path.parent), path.name)


def _is_input(folder: str, name: str) -> bool:
    suffix = suffix_of(name)
    if suffix != ".arrow":
        return suffix is not None
    listed = _dataset_data_files(folder)
    return listed is None or name in listed


@lru_cache(maxsize=256)
def _dataset_data_files(folder: str) -> frozenset[str] | None:
    """The data files a save_to_disk folder lists, or None when folder is not one."""
    try:
        state = json.loads(Path(folder, DATASET_STATE).read_text(encoding="utf-8"))
        return frozenset(entry["filename"] for entry in state["_data_files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def walk(raw_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, path relative to raw_dir with / separators) of every article file, in the order of
    `sorted(raw_dir.rglob("*"))` (by path parts), without listing the whole tree at once: memory
    stays that of the largest folder, whatever the number of files. Like rglob, links to folders
    are not followed; links to files are listed (ingest refuses those pointing out of RAW).
    """
    def visit(folder: str, prefix: str) -> Iterator[tuple[Path, str]]:
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            return
        # Depth first, names sorted in each folder: the order of sorting whole paths by their parts.
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from visit(entry.path, f"{prefix}{entry.name}/")
            elif _is_input(folder, entry.name) and not _is_dir(entry):  # the name first: no system call
                yield Path(entry.path), prefix + entry.name

    yield from visit(str(raw_dir), "")


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether entry is a folder or a link to one; a link in a loop is not (ingest rejects it)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


# A digest callback: (path relative to RAW, sha256 hex digest of the whole file).
Digests = Callable[[str, str], None]


def iter_units(path: Path, rel: str, columns: Columns = DEFAULT_COLUMNS,
               digests: Digests | None = None) -> Iterator[Source | Rejected]:
    """The input units of one non-.txt article file, in file order.

    A file that stops being readable part-way (a truncated .gz, a corrupt parquet page) yields
    the units read so far and then one Rejected for the rest, so the build goes on.
    digests: called with (rel, the file's sha256) once the file is read, unless it could not be
    read at all.
    """
    suffix = suffix_of(path)
    try:
        if suffix in JSONL:
            yield from _jsonl_units(path, rel, columns, gzipped=suffix == ".jsonl.gz", digests=digests)
        elif suffix in TABLES:
            if digests is not None:
                digests(rel, _file_sha256(path))  # before pyarrow reads it: see the module's docstring
            yield from _table_units(rel, columns, _Parquet(path) if suffix == ".parquet" else _Arrow(path))
        else:
            raise ValueError(f"{rel}: not an article file of a known format")
    except _Unreadable as error:
        yield error.rejected
    except (OSError, EOFError, zlib.error, ValueError) as error:  # pyarrow's errors derive from these
        yield _unreadable(rel, None, error)


class _Unreadable(Exception):
    def __init__(self, rejected: Rejected):
        super().__init__(rejected.message)
        self.rejected = rejected


def _unreadable(rel: str, line: int | None, error: BaseException, reason: str = "unreadable") -> Rejected:
    where = f" after line or row {line - 1}" if line and line > 1 else ""
    rejected = Rejected(reason, f"{rel} could not be read{where}: {type(error).__name__}: {error}")
    rejected.path, rejected.line = rel, line
    return rejected


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class HashingReader(io.RawIOBase):
    """A binary file read through this object is hashed as it is read (sha256 of the bytes read);
    `finish` reads what was left unread (a corrupt .gz stops early) into the hash and returns it."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.name = getattr(handle, "name", "")
        self.mode = "rb"  # gzip.GzipFile asks

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.handle.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
        return count

    def read(self, size: int = -1) -> bytes:  # gzip reads through here: no extra copy
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def finish(self) -> str:
        while chunk := self.handle.read(1 << 20):
            self.digest.update(chunk)
        return self.digest.hexdigest()


# --- JSON lines ---------------------------------------------------------------------------------

READ_BUFFER = 1 << 20


def _jsonl_units(path: Path, rel: str, columns: Columns, *, gzipped: bool,
                 digests: Digests | None = None) -> Iterator[Source]:
    """The lines of a .jsonl or .jsonl.gz file; with digests, the file's own bytes hashed as they
    are read."""
    number = 0
    failure = None
    with open(path, "rb", buffering=0) as raw:
        hashed = HashingReader(raw) if digests is not None else raw
        with gzip.GzipFile(fileobj=hashed, mode="rb") if gzipped else io.BufferedReader(hashed, READ_BUFFER) as handle:
            try:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield Source(rel, number, line if columns.is_default else _renamed_line(line, columns))
            except (OSError, EOFError, zlib.error) as error:  # a truncated or corrupt .gz
                failure = _Unreadable(_unreadable(rel, number + 1, error))
        if digests is not None:
            try:
                sha256 = hashed.finish()
            except OSError:  # the file itself cannot be read on: no digest, as for a file not read at all
                sha256 = None
            if sha256 is not None:
                digests(rel, sha256)
    if failure is not None:
        raise failure


def _renamed_line(line: bytes, columns: Columns) -> bytes:
    """A JSONL line with its id and text under the names ingest reads; a line that is not a JSON
    object is passed on as it is, for ingest to reject with its reason."""
    try:
        obj = json.loads(line.decode("utf-8-sig", errors="replace"))
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    return _payload(obj, columns)


def _payload(obj: dict, columns: Columns) -> bytes:
    renamed = {"id": obj.get(columns.id), "text": obj.get(columns.text)}
    renamed.update((field, obj[field]) for field in OPTIONAL_FIELDS if obj.get(field) is not None)
    # surrogatepass: a lone surrogate (a JSON "\ud800") must not stop the file; ingest replaces
    # the bytes and flags the article.
    return json.dumps(renamed, ensure_ascii=False, default=str).encode("utf-8", errors="surrogatepass")


# --- tables: parquet files and Arrow IPC files (save_to_disk) -----------------------------------

class _Table:
    """Column names first, then record batches of the chosen columns, BATCH_ROWS rows at most."""

    def __init__(self, path: Path):
        self.path = path

    def names(self) -> list[str]:
        raise NotImplementedError

    def batches(self, wanted: list[str]) -> Iterator:
        raise NotImplementedError


class _Parquet(_Table):
    def names(self) -> list[str]:
        import pyarrow.parquet as pq

        return pq.read_schema(self.path).names

    def batches(self, wanted: list[str]) -> Iterator:
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.path) as parquet:
            yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted, use_threads=False)


class _Arrow(_Table):
    """An Arrow IPC stream (what save_to_disk writes) or file, read from a plain file handle rather
    than a memory map, so the pages read do not stay resident in this process."""

    def _open(self, handle):
        import pyarrow as pa

        try:
            return pa.ipc.open_stream(handle)
        except pa.ArrowInvalid:
            handle.seek(0)
            return pa.ipc.open_file(handle)

    def names(self) -> list[str]:
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as handle:
            return self._open(handle).schema.names

    def batches(self, wanted: list[str]) -> Iterator:
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as handle:
            reader = self._open(handle)
            if isinstance(reader, pa.ipc.RecordBatchFileReader):
                batches = (reader.get_batch(index) for index in range(reader.num_record_batches))
            else:
                batches = iter(reader)
            for batch in batches:
                batch = batch.select(wanted)
                for offset in range(0, batch.num_rows, BATCH_ROWS):
                    yield batch.slice(offset, BATCH_ROWS)


def _table_units(rel: str, columns: Columns, table: _Table) -> Iterator[Source | Rejected]:
    """One unit per row, the id and text under the names ingest reads, with the optional fields
    (title, section, ...) the table has."""
    names = table.names()
    missing = [name for name in (columns.id, columns.text) if name not in names]
    if missing:
        rejected = Rejected("missing_column", f"{rel} has no column {', '.join(map(repr, missing))} (its columns: "
                            f"{', '.join(names)}); name the id and text columns with --id-column / --text-column")
        rejected.path, rejected.line = rel, None
        yield rejected
        return
    wanted = list(dict.fromkeys([columns.id, columns.text, *(field for field in OPTIONAL_FIELDS if field in names)]))
    row = 0
    try:
        for batch in table.batches(wanted):
            values = [column.to_pylist() for column in batch.columns]
            for record in zip(*values):
                row += 1
                yield Source(rel, row, _payload(dict(zip(wanted, record)), columns))
    except (OSError, EOFError, ValueError) as error:  # a corrupt page or batch: pyarrow's errors derive from these
        raise _Unreadable(_unreadable(rel, row + 1, error)) from None
