"""What publish writes, written as it goes: memory never holds the corpus.

- `SplitWriter`: one split of one config, written a table at a time into parquet shards under
  `OUT/hub/data/<config>/` and Arrow shards of a `save_to_disk` folder (`OUT/<config>/<split>/`),
  cut at the same rows, a new shard every MAX_SHARD_BYTES of Arrow data. `load_from_disk` and
  `load_dataset("OUT/hub", config)` read them; no step maps a whole file into memory.
- `ExternalSorter`: sorts records of any number by spilling sorted runs of RUN_SIZE records to
  disk and merging them; publish uses it for the speakers (grouped over the whole corpus) and for
  rejects.jsonl.

Everything is deterministic: shards are cut by content, sorts are stable, and the save_to_disk
fingerprint is a hash of the shards, so two builds of the same input write the same bytes.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

MAX_SHARD_BYTES = 500 * 1024 * 1024  # datasets' own default shard size for save_to_disk and the hub
RUN_SIZE = 20_000  # records an ExternalSorter holds before it spills a sorted run
MAX_FAN_IN = 128  # runs merged at once; more are first merged into longer runs (open files stay few)
ARROW_BATCH_ROWS = 1000  # rows per record batch of the Arrow shards: datasets' DEFAULT_MAX_BATCH_SIZE
# Rows gathered into one parquet row group. The parquet writer keeps the metadata of every row group
# until its file closes, and a row group per stage shard made that grow with the corpus (1000 tiny
# articles a group); this bounds both the buffer (eight buffers at most) and the row groups' count.
PARQUET_ROW_GROUP_BYTES = 8 * 1024 * 1024
PARTIAL = ".partial"


class HashingFile:
    """A file written through a sha256: the digest of its bytes is known when it closes, so
    publish's manifest need not read back what it wrote (pyarrow writers accept it as a sink)."""

    def __init__(self, path: str):
        self._file = open(path, "xb")
        self._hash = hashlib.sha256()
        self._position = 0
        self.closed = False

    def write(self, data) -> int:
        view = memoryview(data)
        written = self._file.write(view)
        self._hash.update(view[:written])
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self.closed = True

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class SplitWriter:
    """Rows of one split of one config, appended as Arrow tables, into parquet and Arrow shards."""

    def __init__(self, out: Path, config: str, split: str, schema, *, max_shard_bytes: int | None = None):
        self.out, self.config, self.split, self.schema = Path(out), config, split, schema
        self.max_shard_bytes = max_shard_bytes or MAX_SHARD_BYTES
        self.rows = 0
        self.shards = 0
        self._bytes = 0
        self._parquet = self._arrow = self._arrow_file = None
        self._row_group: list = []  # tables waiting for the next parquet row group
        self._row_group_bytes = 0
        self._digest = hashlib.sha256(f"{config}/{split}".encode())
        self._sinks: list = []  # (parquet, arrow) HashingFiles of each shard
        self.file_digests: dict[Path, str] = {}  # final path -> sha256, once closed

    @property
    def hub_dir(self) -> Path:
        return self.out / "hub" / "data" / self.config

    @property
    def disk_dir(self) -> Path:
        return self.out / self.config / self.split

    def write(self, table) -> None:
        """Append table (of self.schema); an empty table writes nothing."""
        if not table.num_rows:
            return
        if self._parquet is None or self._bytes >= self.max_shard_bytes:
            self._start_shard()
        self._row_group.append(table)
        self._row_group_bytes += table.nbytes
        if self._row_group_bytes >= PARQUET_ROW_GROUP_BYTES:
            self._write_row_group()
        # As datasets' ArrowWriter writes it: one chunk, cut into record batches of ARROW_BATCH_ROWS.
        self._arrow.write_table(table.combine_chunks(), max_chunksize=ARROW_BATCH_ROWS)
        self._bytes += table.nbytes
        self.rows += table.num_rows

    def _start_shard(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._close_shard()
        index = self.shards
        self.shards += 1
        self._bytes = 0
        self.hub_dir.mkdir(parents=True, exist_ok=True)
        self.disk_dir.mkdir(parents=True, exist_ok=True)
        parquet_sink = HashingFile(str(self._parquet_path(index, None)) + PARTIAL)
        self._arrow_file = HashingFile(str(self._arrow_path(index, None)) + PARTIAL)
        self._sinks.append((parquet_sink, self._arrow_file))
        self._parquet = pq.ParquetWriter(parquet_sink, self.schema)
        self._arrow = pa.ipc.new_stream(self._arrow_file, self.schema)

    def _write_row_group(self) -> None:
        import pyarrow as pa

        if self._row_group:
            table = pa.concat_tables(self._row_group)
            self._parquet.write_table(table, row_group_size=table.num_rows)
            self._row_group, self._row_group_bytes = [], 0

    def _close_shard(self) -> None:
        if self._parquet is not None:
            self._write_row_group()
            self._parquet.close()
            self._arrow.close()
            self._arrow_file.close()
            self._sinks[-1][0].close()
            self._parquet = self._arrow = self._arrow_file = None

    def _parquet_path(self, index: int, total: int | None) -> Path:
        return self.hub_dir / (f"{self.split}-{index:05d}" + (f"-of-{total:05d}" if total is not None else "") + ".parquet")

    def _arrow_path(self, index: int, total: int | None) -> Path:
        return self.disk_dir / (f"data-{index:05d}" + (f"-of-{total:05d}" if total is not None else "") + ".arrow")

    def close(self) -> list[str]:
        """Give the shards their final names (`-0000k-of-0000n`); the Arrow file names, in order."""
        self._close_shard()
        names = []
        for index, (parquet_sink, arrow_sink) in enumerate(self._sinks):
            final = self._arrow_path(index, self.shards)
            os.rename(str(self._arrow_path(index, None)) + PARTIAL, final)
            os.rename(str(self._parquet_path(index, None)) + PARTIAL, self._parquet_path(index, self.shards))
            # Hashed as they were written: nothing is read back.
            self._digest.update(bytes.fromhex(arrow_sink.hexdigest()))
            self.file_digests[final] = arrow_sink.hexdigest()
            self.file_digests[self._parquet_path(index, self.shards)] = parquet_sink.hexdigest()
            names.append(final.name)
        return names

    def hub_pattern(self) -> str | None:
        """The data_files pattern of this split in the hub folder, relative to it; None without rows."""
        return f"data/{self.config}/{self.split}-*.parquet" if self.rows else None

    @property
    def fingerprint(self) -> str:
        return self._digest.hexdigest()[:16]


def save_config(out: Path, config: str, writers: dict[str, SplitWriter]) -> dict[str, str | None]:
    """Close the writers of one config and make OUT/<config> a DatasetDict that load_from_disk
    reads; {split: hub data_files pattern or None when the split has no rows}.

    The metadata is written as datasets' save_to_disk writes it (dataset_dict.json, and each
    split's dataset_info.json and state.json, pointing at the shards written here), without
    importing datasets; tests/test_build.py holds it to save_to_disk's. A split with no rows gets
    one empty data file, which load_from_disk needs.
    """
    import pyarrow as pa

    folder = Path(out) / config
    folder.mkdir(parents=True, exist_ok=True)
    _write_new(folder / "dataset_dict.json", json.dumps({"splits": list(writers)}))
    for split, writer in writers.items():
        names = writer.close()
        if not names:
            names = ["data-00000-of-00001.arrow"]
            writer.disk_dir.mkdir(parents=True, exist_ok=True)
            sink = HashingFile(str(writer.disk_dir / names[0]))
            pa.ipc.new_stream(sink, writer.schema).close()
            sink.close()
            writer.file_digests[writer.disk_dir / names[0]] = sink.hexdigest()
        features = json.loads(writer.schema.metadata[b"huggingface"])["info"]["features"]
        _write_new(writer.disk_dir / "dataset_info.json", json.dumps(
            {"citation": "", "description": "", "features": features, "homepage": "", "license": ""}, indent=2))
        _write_new(writer.disk_dir / "state.json", json.dumps(
            {"_data_files": [{"filename": name} for name in names], "_fingerprint": writer.fingerprint,
             "_format_columns": None, "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False,
             "_split": split}, indent=2, sort_keys=True))
    return {split: writer.hub_pattern() for split, writer in writers.items()}


def _write_new(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


class ExternalSorter:
    """Records (JSON values) sorted by key, however many: runs of RUN_SIZE are sorted in memory,
    spilled to files under `scratch`, and merged. Stable: equal keys keep the order they were added.
    """

    def __init__(self, scratch: Path, name: str, key: Callable, *, run_size: int | None = None):
        self.scratch, self.name, self.key = Path(scratch), name, key
        self.run_size = run_size or RUN_SIZE
        self.buffer: list = []
        self.runs: list[Path] = []
        self.count = 0

    def add(self, record) -> None:
        self.buffer.append(record)
        self.count += 1
        if len(self.buffer) >= self.run_size:
            self._spill()

    def extend(self, records: Iterable) -> None:
        for record in records:
            self.add(record)

    def _spill(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        path = self.scratch / f"{self.name}-{len(self.runs):06d}.jsonl"
        self.buffer.sort(key=self.key)
        with open(path, "x", encoding="utf-8") as handle:
            for record in self.buffer:
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.runs.append(path)
        self.buffer = []

    def sorted(self) -> Iterator:
        """Every record added, by key; the sorter is used up."""
        self.buffer.sort(key=self.key)
        if not self.runs:
            buffer, self.buffer = self.buffer, []
            yield from buffer
            return
        if self.buffer:
            self._spill()
        while len(self.runs) > MAX_FAN_IN:  # merge consecutive runs, keeping the sort stable
            merged = []
            for start in range(0, len(self.runs), MAX_FAN_IN):
                group = self.runs[start: start + MAX_FAN_IN]
                path = group[0].with_name(group[0].stem + "m.jsonl")
                with open(path, "x", encoding="utf-8") as handle:
                    for record in self._merge(group):
                        handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                merged.append(path)
            self.runs = merged
        yield from self._merge(self.runs)
        self.runs = []

    def _merge(self, runs: list[Path]) -> Iterator:
        # heapq.merge is stable across its inputs, taken in the order the runs were written.
        yield from heapq.merge(*(_read_run(path) for path in runs), key=self.key)
        for path in runs:
            path.unlink(missing_ok=True)


def _read_run(path: Path) -> Iterator:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def grouped(records: Iterable, key: Callable) -> Iterator[tuple[object, Iterator]]:
    """(key, records) for each run of consecutive records with the same key, the records of a
    run streamed (consume them before the next run), so a huge group never sits in memory."""
    return itertools.groupby(records, key)
