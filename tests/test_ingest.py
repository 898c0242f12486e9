"""Stage 1, ingest: raw bytes to one normalized article text, or a reject with a reason."""

from __future__ import annotations

import json

import pytest

from builder.ingest import Rejected, Source, ingest_source, iter_input_digests, iter_sources


def txt(payload: str | bytes, path: str = "news/item.txt") -> Source:
    return Source(path, None, payload.encode("utf-8") if isinstance(payload, str) else payload)


def jsonl(obj, line: int = 1) -> Source:
    payload = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return Source("feed.jsonl", line, payload.encode("utf-8"))


@pytest.mark.parametrize("source, expected", [
    # line 1 is the section, the next non-empty line the title, the rest the body
    (txt("سياسة\n\nالعنوان هنا\n\nالفقرة الأولى.\n\nالفقرة الثانية.\n"),
     {"section": "سياسة", "title": "العنوان هنا", "text": "الفقرة الأولى.\nالفقرة الثانية."}),
    (txt("\nالعنوان\nالنص."), {"section": "", "title": "العنوان", "text": "النص."}),
    (txt("قسم\r\nالعنوان\r\n\r\nسطر أول\r\nسطر ثان\r\n"), {"text": "سطر أول\nسطر ثان"}),
    # whole lines of site furniture are dropped, the same words inside a sentence are not
    (txt("قسم\nعنوان\nنص الخبر.\nأخبار ذات صلة\nزر الذهاب إلى الأعلى\nآخر الأخبار\n// انتهى //\n"
         "رابط الخبر: https://example.com/1\nقال إن آخر الأخبار سارة."),
     {"text": "نص الخبر.\nقال إن آخر الأخبار سارة."}),
    # invisible characters that would shift or glue offsets are removed before any offset exists
    (txt("قسم\nعنوان\nقال\u00a0الوزير\u200f «نعم»\u200e\x00 اليوم."), {"text": "قال الوزير «نعم» اليوم."}),
    (txt("\ufeffقسم\nعنوان\nنص."), {"section": "قسم", "text": "نص."}),
    (txt("قسم\nعنوان\nكلمة\u202bمضمنة\u202c\u2066هنا\u2069."), {"text": "كلمةمضمنةهنا."}),
    (txt("قسم\nعنوان\nتبويب\tهنا."), {"text": "تبويب هنا."}),
    # NFC: a decomposed hamza form becomes the composed letter
    (txt("قسم\nعنوان\nا\u0654حمد."), {"text": "أحمد."}),
    (txt("قسم\nعنوان\nنص."), {"source_encoding": "utf-8", "article_id": "news/item", "source_line": None}),
    (txt("قسم\nعنوان\nقال الوزير «نعم».".encode("cp1256")), {"text": "قال الوزير «نعم».", "title": "عنوان"}),
    # JSONL: id and text, optional fields, text normalized the same way
    (jsonl({"id": "a-1", "text": "سطر\n\nسطر آخر\u00a0هنا", "title": " عنوان ", "section": "اقتصاد",
            "source": "وكالة", "url": "https://x.test/1", "date": "2024-01-02", "licence": "CC-BY-4.0"}),
     {"article_id": "a-1", "text": "سطر\nسطر آخر هنا", "title": "عنوان", "section": "اقتصاد", "source": "وكالة",
      "url": "https://x.test/1", "date": "2024-01-02", "licence": "CC-BY-4.0", "source_path": "feed.jsonl",
      "source_line": 1}),
    (jsonl({"id": 7, "text": "نص."}), {"article_id": "7", "title": "", "licence": ""}),
], ids=["txt-layout", "txt-empty-section", "crlf", "boilerplate", "nbsp-bidi-nul", "bom", "embedding-marks",
        "tab", "nfc", "txt-id-and-encoding", "windows-1256", "jsonl-fields", "jsonl-numeric-id"])
def test_ingest_builds_the_article(source, expected):
    article = ingest_source(source)
    assert {key: article[key] for key in expected} == expected


def test_windows_1256_is_recorded():
    article = ingest_source(txt("قسم\nعنوان\nنص عربي طويل بما يكفي للتعرف على الترميز.".encode("cp1256")))
    assert article["source_encoding"].lower().replace("-", "").replace("windows", "cp") == "cp1256"


@pytest.mark.parametrize("source, reason", [
    (txt(""), "empty"),
    (txt(" \n\n \n"), "empty"),
    (txt("قسم\nعنوان فقط\n\n"), "no_body"),
    (txt("قسم\nعنوان\nأخبار ذات صلة\n"), "no_body"),
    (txt(bytes(range(1, 32)) * 20), "binary"),
    (jsonl('{"id": "x", "text": '), "bad_json"),
    (jsonl('["a list"]'), "bad_json"),
    (jsonl({"text": "نص بلا معرف"}), "no_id"),
    (jsonl({"id": " ", "text": "نص"}), "no_id"),
    (jsonl({"id": "x"}), "no_text"),
    (jsonl({"id": "x", "text": 5}), "no_text"),
    (jsonl({"id": "x", "text": "رابط الخبر http://x"}), "no_body"),
], ids=["empty", "blank", "title-only", "boilerplate-only", "binary", "bad-json", "not-an-object", "no-id",
        "blank-id", "no-text", "text-not-string", "jsonl-boilerplate-only"])
def test_ingest_rejects_with_a_reason(source, reason):
    with pytest.raises(Rejected) as caught:
        ingest_source(source)
    assert caught.value.reason == reason and caught.value.message


def test_sources_are_found_recursively_in_a_stable_order(tmp_path):
    files = {"b.txt": "قسم\nعنوان\nنص.", "a/z/deep.txt": "قسم\nعنوان\nنص.", "feed.jsonl": '{"id": "1"}\n\n{"id": "2"}\n',
             "notes.md": "not an article", "a/upper.TXT": "قسم\nعنوان\nنص."}
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    units = [(unit.path, unit.line) for unit in iter_sources(tmp_path)]
    assert units == [("a/upper.TXT", None), ("a/z/deep.txt", None), ("b.txt", None),
                     ("feed.jsonl", 1), ("feed.jsonl", 3)]
    assert ingest_source(next(u for u in iter_sources(tmp_path) if u.path == "a/z/deep.txt"))["article_id"] == "a/z/deep"
    assert [path for path, _digest in iter_input_digests(tmp_path)] == ["a/upper.TXT", "a/z/deep.txt", "b.txt", "feed.jsonl"]


def test_a_link_out_of_raw_is_refused_unread(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("قسم\nعنوان\nسر.", encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "link.txt").symlink_to(outside)
    (unit,) = list(iter_sources(raw))
    assert isinstance(unit, Rejected) and unit.reason == "outside_raw" and unit.path == "link.txt"
    assert list(iter_input_digests(raw)) == []
