"""Stage 1, ingest: raw files to article records with one normalized `text`.

Every later offset points into `text`, so this is the only place the text changes.
`ingest_source` is pure (bytes in, record out); `iter_sources` is the only I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterator

from builder.resources import load

STAGE = "ingest"
TXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl",)
OPTIONAL_FIELDS = ("title", "section", "source", "url", "date", "licence")

# Bidi controls and BOM are invisible and glue onto tokens; NUL breaks C-level tools.
_DROP_CHARS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff\u200b\x00"))
_SPACE_CHARS = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\t\u000b\u000c"), " ")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Source:
    """One input unit: a .txt file or one line of a .jsonl file."""

    path: str  # relative to RAW, with / separators
    line: int | None  # 1-based line number for JSONL, None for .txt
    payload: bytes


class Rejected(Exception):
    """An input that cannot become an article; carries a reason code for the rejects file."""

    def __init__(self, reason: str, message: str, article_id: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.article_id = article_id


@cache
def _boilerplate() -> tuple[frozenset[str], tuple[str, ...]]:
    data = load("boilerplate")
    return frozenset(data["exact"]), tuple(data["prefix"])


def normalize_text(text: str) -> str:
    """NFC, NBSP and tabs to spaces, bidi marks/BOM/NUL removed, CRLF to LF."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_DROP_CHARS).translate(_SPACE_CHARS)


def body_from_lines(lines: list[str]) -> str:
    """Paragraphs (non-empty lines, boilerplate dropped) joined by one newline."""
    exact, prefixes = _boilerplate()
    paragraphs = []
    for line in lines:
        line = _CONTROL.sub("", line).strip()
        if not line or line in exact or line.startswith(prefixes):
            continue
        paragraphs.append(line)
    return "\n".join(paragraphs)


def decode(payload: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 first, then a guess (windows-1256 is common for Arabic)."""
    try:
        return payload.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    return payload.decode("utf-8", errors="replace"), "utf-8-replaced"


def _looks_binary(text: str) -> bool:
    """Mostly control or replacement characters: not an article."""
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t"))
    return bad / len(sample) > 0.1


def txt_article_id(path: str) -> str:
    """The path relative to RAW without its suffix."""
    return path[: -len(Path(path).suffix)] if Path(path).suffix else path


def parse_txt(text: str) -> tuple[str, str, list[str]]:
    """(section, title, body lines): line 1 is the section, the next non-empty line the title."""
    lines = text.split("\n")
    section = lines[0].strip() if lines else ""
    rest = lines[1:]
    title = ""
    for index, line in enumerate(rest):
        if line.strip():
            title = line.strip()
            rest = rest[index + 1 :]
            break
    else:
        rest = []
    return section, title, rest


def ingest_source(source: Source) -> dict:
    """Article record for one input unit, or raise Rejected with a reason."""
    if source.line is None:
        return _ingest_txt(source)
    return _ingest_jsonl_line(source)


def _ingest_txt(source: Source) -> dict:
    article_id = txt_article_id(source.path)
    if not source.payload.strip():
        raise Rejected("empty", "the file is empty", article_id)
    raw_text, encoding = decode(source.payload)
    if _looks_binary(raw_text):
        raise Rejected("binary", "the file is mostly control or undecodable bytes", article_id)
    section, title, lines = parse_txt(normalize_text(raw_text))
    text = body_from_lines(lines)
    if not text:
        raise Rejected("no_body", "the file has a title but no body", article_id)
    return _record(article_id, source, text, title=title, section=section, source_encoding=encoding,
                   replaced_bytes="\ufffd" in raw_text)


def _ingest_jsonl_line(source: Source) -> dict:
    try:
        obj = json.loads(source.payload.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as err:
        raise Rejected("bad_json", f"line is not JSON: {err.msg}") from None
    if not isinstance(obj, dict):
        raise Rejected("bad_json", "line is not a JSON object")
    article_id = obj.get("id")
    if article_id is None or str(article_id).strip() == "":
        raise Rejected("no_id", "the object has no `id`")
    article_id = str(article_id)
    raw_text = obj.get("text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise Rejected("no_text", "the object has no `text` string", article_id)
    text = body_from_lines(normalize_text(raw_text).split("\n"))
    if not text:
        raise Rejected("no_body", "the text is only boilerplate", article_id)
    extra = {field: _clean_field(obj.get(field)) for field in OPTIONAL_FIELDS}
    return _record(article_id, source, text, source_encoding="utf-8", replaced_bytes="\ufffd" in raw_text, **extra)


def _clean_field(value) -> str:
    return "" if value is None else normalize_text(str(value)).strip()


def _record(article_id: str, unit: Source, text: str, *, replaced_bytes: bool, **fields) -> dict:
    # `unit`, not `source`: "source" is also an article field (the outlet) passed in **fields.
    record = {"article_id": article_id, "source_path": unit.path, "source_line": unit.line}
    for field in OPTIONAL_FIELDS:
        record[field] = fields.get(field) or ""
    record["source_encoding"] = fields.get("source_encoding", "utf-8")
    record["flags"] = ["replaced_bytes"] if replaced_bytes else []
    record["text"] = text
    return record


def iter_input_files(raw_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, path relative to RAW with / separators) of every article file, in a stable order."""
    raw_dir = Path(raw_dir)
    for path in sorted(raw_dir.rglob("*")):
        if path.suffix.lower() in TXT_SUFFIXES + JSONL_SUFFIXES and not path.is_dir():
            yield path, path.relative_to(raw_dir).as_posix()


def iter_sources(raw_dir: Path) -> Iterator[Source | Rejected]:
    """Every input unit under raw_dir in a stable order; unreadable ones as Rejected."""
    root = Path(raw_dir).resolve()
    for path, rel in iter_input_files(raw_dir):
        if not path.resolve().is_relative_to(root):  # a symlink out of RAW is never read
            error = Rejected("outside_raw", f"{rel} points outside RAW", txt_article_id(rel))
            error.path = rel
            yield error
            continue
        if path.suffix.lower() in TXT_SUFFIXES:
            yield Source(rel, None, path.read_bytes())
        else:
            with path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield Source(rel, number, line)


def input_digests(raw_dir: Path) -> dict[str, str]:
    """sha256 of every article file under raw_dir, by relative path; links out of RAW are not read."""
    root = Path(raw_dir).resolve()
    digests = {}
    for path, rel in iter_input_files(raw_dir):
        if path.resolve().is_relative_to(root):
            with path.open("rb") as handle:
                digests[rel] = hashlib.file_digest(handle, "sha256").hexdigest()
    return digests
