"""Stage 1, ingest: raw files to article records with one normalized `text`.

Every later offset points into `text`, so this is the only place the text changes.
`ingest_source` is pure (bytes in, record out); `iter_sources` is the only I/O.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
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

# Bidi controls, BOM, zero-width space and NUL are invisible and glue onto tokens: removed.
_DROP_RE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u200b\x00]")
# NBSP and other fixed spaces, tabs: one space. Unicode line and paragraph separators: a newline.
_SPACE_RE = re.compile("[\u00a0\u2007\u202f\t\u000b\u000c]")
_BREAK_RE = re.compile("[\u2028\u2029\u0085]")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# An article file larger than this is refused unread (reason `too_large`): no news article is
# near it, and reading it whole could exhaust memory. Several million characters are fine.
MAX_ARTICLE_BYTES = 64 * 1024 * 1024


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
    """NFC, NBSP and tabs to spaces, bidi marks/BOM/NUL removed, CRLF and other line breaks to
    LF, lone surrogates (a JSON "\\ud800", which no file can hold) to U+FFFD."""
    text = _SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Regex substitutions rather than str.translate: translate walks every character through a
    # dict lookup (about 8 MB/s); a character-class sub skips the text with none (over 40 MB/s).
    text = _DROP_RE.sub("", text)
    text = _SPACE_RE.sub(" ", text)
    return _BREAK_RE.sub("\n", text)


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
    decoded = decode_bytes(payload)
    return decoded.text, decoded.encoding


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python's codec name: utf-8, cp1256, utf-16...
    replaced: bool  # undecodable bytes were replaced by U+FFFD


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# A payload whose non-ASCII characters are at least this share valid UTF-8 is UTF-8 with a few
# broken bytes (a truncated download, a bad copy): replacing those keeps the rest intact, where
# guessing another encoding would turn every Arabic letter into mojibake.
_MOSTLY_UTF8 = 0.9
# windows-1256 decodes any byte, so it is taken only when most letters then read as Arabic.
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_LETTER = re.compile(r"[^\W\d_]")


def decode_bytes(payload: bytes) -> Decoded:
    """The text of an article file, its encoding, and whether bytes had to be replaced.

    In order: a BOM says the encoding; valid UTF-8; UTF-8 with a few invalid bytes replaced;
    windows-1256 when it yields Arabic; charset_normalizer's guess (UTF-16 without a BOM,
    other code pages); else UTF-8 with replacements (the binary check then decides).
    """
    for bom, encoding in _BOMS:
        if payload.startswith(bom):
            text = payload.decode(encoding, errors="replace")
            return Decoded(text, codecs.lookup(encoding.removesuffix("-sig")).name, "\ufffd" in text)
    try:
        return Decoded(payload.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    as_utf8 = payload.decode("utf-8", errors="replace")
    replaced = as_utf8.count("\ufffd")
    valid_non_ascii = sum(1 for ch in as_utf8 if ord(ch) > 127) - replaced
    if valid_non_ascii >= _MOSTLY_UTF8 * (valid_non_ascii + replaced):
        return Decoded(as_utf8, "utf-8", True)
    as_cp1256 = payload.decode("cp1256")
    letters = len(_LETTER.findall(as_cp1256))
    if letters and len(_ARABIC_LETTER.findall(as_cp1256)) >= 0.5 * letters and not _looks_binary(as_cp1256):
        return Decoded(as_cp1256, "cp1256", False)
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None and best.encoding:
        return Decoded(str(best), codecs.lookup(best.encoding).name, False)
    return Decoded(as_utf8, "utf-8", True)


# Characters no article is made of: C0 controls but white space, DEL, and U+FFFD (a byte
# that could not be decoded).
_NOT_TEXT_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def _looks_binary(text: str) -> bool:
    """Mostly control or replacement characters: not an article (a few stray NULs are fine)."""
    if not text:
        return False
    return len(_NOT_TEXT_RE.findall(text)) / len(text) > 0.1


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
    decoded = decode_bytes(source.payload)
    if _looks_binary(decoded.text):
        raise Rejected("binary", f"the file is mostly control or undecodable bytes (read as {decoded.encoding})",
                       article_id)
    section, title, lines = parse_txt(normalize_text(decoded.text))
    text = body_from_lines(lines)
    if not text:
        raise Rejected("no_body", "the file has a title but no body", article_id)
    return _record(article_id, source, text, title=_CONTROL.sub("", title), section=_CONTROL.sub("", section),
                   source_encoding=decoded.encoding, replaced_bytes=decoded.replaced or "\ufffd" in decoded.text)


def _ingest_jsonl_line(source: Source) -> dict:
    # A line is decoded like a .txt file (a feed may be in windows-1256 too); strict=False lets
    # raw tabs and carriage returns inside strings through, as scrapers write them.
    decoded = decode_bytes(source.payload)
    try:
        obj = json.loads(decoded.text, strict=False)
    except json.JSONDecodeError as err:
        raise Rejected("bad_json", f"line is not JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise Rejected("bad_json", "line is not JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise Rejected("bad_json", f"line is a JSON {type(obj).__name__}, not an object")
    article_id = obj.get("id")
    if article_id is None or str(article_id).strip() == "":
        raise Rejected("no_id", "the object has no `id`")
    if isinstance(article_id, (bool, dict, list)):
        raise Rejected("no_id", f"the `id` is a JSON {type(article_id).__name__}, not a string or number")
    article_id = _SURROGATE.sub("\ufffd", str(article_id))
    raw_text = obj.get("text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise Rejected("no_text", "the object has no `text` string", article_id)
    if _looks_binary(raw_text):
        raise Rejected("binary", "the `text` is mostly control or undecodable characters", article_id)
    text = body_from_lines(normalize_text(raw_text).split("\n"))
    if not text:
        raise Rejected("no_body", "the text is only boilerplate", article_id)
    extra = {field: _clean_field(obj.get(field)) for field in OPTIONAL_FIELDS}
    replaced = decoded.replaced or "\ufffd" in raw_text or _SURROGATE.search(raw_text) is not None
    return _record(article_id, source, text, source_encoding=decoded.encoding, replaced_bytes=replaced, **extra)


def _clean_field(value) -> str:
    return "" if value is None else _CONTROL.sub("", normalize_text(str(value))).strip()


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
    """(path, path relative to RAW with / separators) of every article file, in a stable order.

    The formats (.txt, .jsonl, .jsonl.gz, .parquet, .arrow) and the walk, which never lists the
    whole tree at once, are builder/sources.py's.
    """
    from builder.sources import walk

    for path, rel in walk(Path(raw_dir)):
        yield path, _display_path(rel)


def _display_path(rel: str) -> str:
    """rel as text that can be written anywhere: a file name whose bytes are not UTF-8 (which
    Python holds as lone surrogates) gets them as \\xNN escapes, unique and stable."""
    if _SURROGATE.search(rel) is None:
        return rel
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


def _refused(path: Path, rel: str, root: Path) -> Rejected | None:
    """Why an article file is not read, or None: a link out of RAW (or in a loop, or to nothing),
    something that is not a regular file (a FIFO would block the build), a file too large."""
    article_id = txt_article_id(rel) if path.suffix.lower() in TXT_SUFFIXES else None
    try:
        target = path.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python < 3.13)
        refusal = Rejected("unreadable", f"{rel} is a link that cannot be followed (a loop?): {type(error).__name__}",
                           article_id)
    else:
        if not target.is_relative_to(root):
            refusal = Rejected("outside_raw", f"{rel} points outside RAW; it was not read", article_id)
        else:
            try:
                info = path.stat()
            except OSError as error:
                refusal = Rejected("unreadable", f"{rel} cannot be read: {type(error).__name__}: {error.strerror}",
                                   article_id)
            else:
                if not stat.S_ISREG(info.st_mode):
                    refusal = Rejected("not_a_file", f"{rel} is not a regular file; it was not read", article_id)
                elif article_id is not None and info.st_size > MAX_ARTICLE_BYTES:
                    refusal = Rejected("too_large", f"{rel} has {info.st_size} bytes, more than the "
                                       f"{MAX_ARTICLE_BYTES} an article file may have; it was not read", article_id)
                else:
                    return None
    refusal.path = rel
    return refusal


def iter_sources(raw_dir: Path, columns=None, digests=None) -> Iterator[Source | Rejected]:
    """Every input unit under raw_dir in a stable order; unreadable ones as Rejected.

    Files other than .txt are read by builder/sources.py, with the id and text `columns` it names
    (a sources.Columns; None: `id` and `text`). digests: called with (path relative to RAW, sha256
    of the file) for every file read, in this order, from the bytes read here (RAW is read once:
    the input list of the manifest needs no pass of its own); files refused unread get none.
    """
    from builder.sources import DEFAULT_COLUMNS, iter_units

    root = Path(raw_dir).resolve()
    for path, rel in iter_input_files(raw_dir):
        refusal = _refused(path, rel, root)
        if refusal is not None:  # a link out of RAW is never read, nor a FIFO
            yield refusal
            continue
        if path.suffix.lower() in TXT_SUFFIXES:
            try:
                payload = path.read_bytes()
            except OSError as error:
                refusal = Rejected("unreadable", f"{rel} cannot be read: {type(error).__name__}: {error.strerror}",
                                   txt_article_id(rel))
                refusal.path = rel
                yield refusal
                continue
            if digests is not None:
                digests(rel, hashlib.sha256(payload).hexdigest())
            yield Source(rel, None, payload)
        else:
            yield from iter_units(path, rel, columns or DEFAULT_COLUMNS, digests)


def iter_input_states(raw_dir: Path) -> Iterator[tuple[str, list[int] | None]]:
    """(relative path, [size, mtime_ns, ctime_ns]) of every article file under raw_dir, in the
    order of `iter_input_files`, without reading any: what a resumed build compares to know its
    inputs did not change (as make and rsync do). A rewrite that restores the mtime still changes
    the ctime, which no user call sets. None for a file that cannot be stat'ed."""
    for path, rel in iter_input_files(raw_dir):
        try:
            info = path.stat()
        except OSError:
            yield rel, None
            continue
        yield rel, [info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def iter_input_digests(raw_dir: Path) -> Iterator[tuple[str, str]]:
    """(relative path, sha256) of every article file under raw_dir, in the order of
    `iter_input_files`, one file at a time; links out of RAW are not read. A pass of its own, for
    checks: a build takes the same digests from its one read of RAW (`iter_sources`' digests)."""
    root = Path(raw_dir).resolve()
    for path, rel in iter_input_files(raw_dir):
        if _refused(path, rel, root) is None:
            try:
                with path.open("rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError:  # unreadable: ingest rejects it with the reason
                continue
            yield rel, digest
