"""The review site OUT/report: markup built from offsets, escaping, pagination, and the pages as
a real browser shows them.

The browser tests drive Debian's Chromium, headless, through the DevTools protocol over a pipe
(--remote-debugging-pipe: no port, no websocket library, nothing downloaded). Locally they skip
when Chromium is absent; with CI=true they fail instead, so CI can never skip them quietly
(.ci/run installs Chromium). One browser serves the whole module, so they take a few seconds.
"""

from __future__ import annotations

import base64
import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import datasets
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder import report as report_module
from builder.report import (CSP, SCRIPT, STYLE, Span, article_page, article_page_name, bar_chart, markup,
                            quote_spans, render_text, write_report)
from builder.runner import RunConfig
from conftest import SAMPLE_ID, SAMPLE_QUOTE_COUNT, run_build

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--no-default-browser-check", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                  "--force-device-scale-factor=1", "--remote-debugging-pipe")
# Arabic families of the page's font stacks that Debian ships (fonts-noto-core, fonts-hosny-amiri, ...).
ARABIC_FAMILIES = ("Noto Naskh Arabic", "Noto Sans Arabic", "Amiri", "Scheherazade New", "KacstOne")
HOSTILE = "<script>window.__xss=1</script>"
HOSTILE_IMG = "<img id='xss-marker' src=x onerror='window.__xss=2'>"


# --- offsets to markup --------------------------------------------------------------------------

def spans_of(*triples) -> list[Span]:
    """Spans from (start, end, name): <i data-s=name>, the first piece also id=name."""
    return [Span(start, end, "i", (("data-s", name),), (("id", name),)) for start, end, name in triples]


@pytest.mark.parametrize("text, triples, expected", [
    ("plain", [], "plain"),
    ('<b>&"\'', [], "&lt;b&gt;&amp;&quot;&#x27;"),
    ("abcd", [(1, 3, "x")], 'a<i data-s="x" id="x">bc</i>d'),
    # adjacent: two siblings, nothing nested
    ("abcd", [(0, 2, "x"), (2, 4, "y")], '<i data-s="x" id="x">ab</i><i data-s="y" id="y">cd</i>'),
    # nested: the longer one outside
    ("abcd", [(1, 3, "in"), (0, 4, "out")],
     '<i data-s="out" id="out">a<i data-s="in" id="in">bc</i>d</i>'),
    # overlapping: the second is cut where the first ends; only its first piece has the id
    ("abcde", [(0, 3, "x"), (2, 5, "y")],
     '<i data-s="x" id="x">ab<i data-s="y" id="y">c</i></i><i data-s="y">de</i>'),
    # the same offsets: rank (then input order) decides which is outside
    ("ab", [(0, 2, "x"), (0, 2, "y")], '<i data-s="x" id="x"><i data-s="y" id="y">ab</i></i>'),
    # an empty span is an empty element at its place
    ("ab", [(1, 1, "e")], 'a<i data-s="e" id="e"></i>b'),
    # text inside a span is escaped too
    ("x<y>z", [(1, 4, "s")], 'x<i data-s="s" id="s">&lt;y&gt;</i>z'),
])
def test_markup(text, triples, expected):
    assert markup(text, spans_of(*triples)) == expected


def test_markup_clips_spans_to_the_block_and_leaves_out_the_others():
    spans = spans_of((0, 4, "x"), (6, 8, "far"))
    assert markup("abcdef", spans, 2, 5) == '<i data-s="x">cd</i>e'
    # the piece in a later block is not the first one: no second id on the page
    assert markup("abcdef", spans, 0, 2) + markup("abcdef", spans, 2, 5) == (
        '<i data-s="x" id="x">ab</i><i data-s="x">cd</i>e')


def test_attribute_values_are_escaped():
    span = Span(0, 1, "i", (("title", '"><script>x</script>'),))
    assert markup("a", [span]) == '<i title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">a</i>'


class Pieces(HTMLParser):
    """Checks nesting while reading markup: the text of every data-s span, and the whole text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.by_span: dict[str, list[str]] = {}
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append(attrs["data-s"])
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_endtag(self, tag):
        assert self.stack, "a closing tag without an opening one"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for name in set(self.stack):
            self.by_span.setdefault(name, []).append(data)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='ab<>&"\' قال', max_size=30).flatmap(lambda text: st.tuples(
    st.just(text),
    st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=6))))
def test_markup_always_nests_and_keeps_every_character(case):
    text, pairs = case
    triples = [(min(a, b), max(a, b), f"s{n}") for n, (a, b) in enumerate(pairs)]
    parser = Pieces()
    parser.feed(markup(text, spans_of(*triples)))
    parser.close()
    assert not parser.stack  # every element closed, in order
    assert "".join(parser.text) == text
    for start, end, name in triples:
        assert "".join(parser.by_span.get(name, [])) == text[start:end]
    assert sorted(parser.ids) == sorted(name for _start, _end, name in triples)  # one id per span


def quote_row(article_id="a", **fields) -> dict:
    row = {"article_id": article_id, "quote_id": f"{article_id}:0", "quote": "", "quote_start": 0, "quote_end": 0,
           "mark_style": "curly", "speaker": None, "speaker_type": "unknown", "speaker_gender": "unknown",
           "speaker_mention": None, "speaker_start": None, "speaker_end": None, "speaker_role": None,
           "cue": None, "cue_start": None, "cue_end": None, "addressee": None, "addressee_start": None,
           "addressee_end": None, "paragraph_index": 0, "sentence_index": 0, "attribution_rule": "none/1",
           "confidence": 0.5}
    row.update(fields)
    return row


def rows_for(text: str, quotes: list[dict]) -> list[dict]:
    """Quote rows whose span strings are cut from text by their offsets."""
    for row in quotes:
        for field in ("quote", "speaker_mention", "cue", "addressee"):
            start_field = "quote_start" if field == "quote" else f"{field.split('_')[0]}_start"
            start, end = row.get(start_field), row.get(start_field.replace("start", "end"))
            if start is not None:
                row[field] = text[start:end]
    return quotes


def test_a_shared_mention_is_one_element_naming_both_quotes_and_a_quote_is_cut_at_paragraphs():
    text = "قال زيد “أولا”.\nوأضاف “ثانيا\nوثالثا”."
    first, second, cue = text.index("أولا"), text.index("ثانيا"), text.index("وأضاف")
    quotes = rows_for(text, [
        quote_row(quote_start=first, quote_end=first + 4, speaker="زيد", speaker_type="person",
                  speaker_start=4, speaker_end=7, cue_start=0, cue_end=3, confidence=0.9),
        quote_row(quote_start=second, quote_end=text.index("”", second), speaker="زيد", speaker_type="person",
                  speaker_start=4, speaker_end=7, cue_start=cue, cue_end=cue + 5, confidence=0.3),
    ])
    breaks = [m.start() for m in re.finditer("\n", text)]
    paragraphs = [{"start": a, "end": b} for a, b in zip([0] + [n + 1 for n in breaks], breaks + [len(text)])]
    rendered = render_text(text, paragraphs, quote_spans(quotes))
    assert rendered.count("<p>") == 3
    assert rendered.count('class="sp" data-q="0 1"') == 1  # the continuation's mention is the first one's
    assert rendered.count('data-q="1"') == 3  # its cue, and its quote in two pieces, one per paragraph
    assert rendered.count('id="q-1"') == 1 and 'class="q low"' in rendered
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)) == text  # blocks joined by the line breaks


def test_article_page_escapes_every_input_string():
    text = f"قال الوزير {HOSTILE} “{HOSTILE_IMG} نص”."
    start = text.index("“") + 1
    quotes = rows_for(text, [quote_row(quote_start=start, quote_end=text.index("”"), speaker=HOSTILE,
                                       speaker_type="person", speaker_role=HOSTILE_IMG, speaker_start=11,
                                       speaker_end=11 + len(HOSTILE), attribution_rule=HOSTILE)])
    article = {"article_id": f"id{HOSTILE}", "title": HOSTILE, "section": HOSTILE_IMG, "source": HOSTILE,
               "url": "javascript:window.__xss=5", "date": HOSTILE, "licence": HOSTILE_IMG, "text": text,
               "source_path": HOSTILE, "source_encoding": HOSTILE, "paragraphs": [{"start": 0, "end": len(text)}],
               "anomalies": [{"kind": HOSTILE, "pos": 1, "mark": HOSTILE_IMG}], "quotes": quotes}
    page = article_page(article)
    assert page.count("<script") == 1  # the page's own script, nothing else
    assert "<img" not in page and "onerror='" not in page
    assert 'href="javascript' not in page
    assert html.escape(HOSTILE) in page


def test_identity_page_escapes_every_input_string_and_links_the_article_pages():
    row = {"speaker_id": f"spk-{HOSTILE}", "speaker": HOSTILE, "variants": [HOSTILE, HOSTILE_IMG, "زيد"],
           "n_variants": 3, "speaker_type": HOSTILE, "generic": False, "genders": [HOSTILE_IMG],
           "roles": [HOSTILE_IMG], "n_roles": 1, "n_quotes": 4, "n_articles": 2,
           "article_ids": [f"a{HOSTILE}", "b"], "n_article_ids": 3, "page": "speakers/x.html"}
    page = report_module.identity_page(row, {"b": "articles/b.html"})
    assert page.count("<script") == 1 and "<img" not in page and "onerror='" not in page
    assert html.escape(HOSTILE) in page and html.escape(HOSTILE_IMG) in page
    assert 'href="../articles/b.html"' in page and "و1 أخرى" in page  # three articles, two listed
    assert re.fullmatch(r"speakers/[a-z0-9][a-z0-9_-]*\.html", report_module.identity_page_name(f"spk-{HOSTILE}"))


def test_only_plain_web_addresses_become_links():
    assert report_module._safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for url in ("javascript:alert(1)", "data:text/html,x", 'https://x.org/"onmouseover=1', "//x.org", ""):
        assert report_module._safe_url(url) is None


def test_page_names_are_safe_and_distinct():
    assert article_page_name(SAMPLE_ID) == f"{SAMPLE_ID}.html"
    names = {article_page_name(i) for i in ("A", "a", "world/2024/item", "world_2024_item", "خبر", "../x", ".x")}
    assert len(names) == 7
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]*\.html", name) for name in names)


def test_charts_escape_labels_and_handle_no_data():
    svg = bar_chart("<b>t</b>", [(HOSTILE, 3), ("ب", 1)], color="#000")
    assert "<script" not in svg and html.escape(HOSTILE) in svg and "<b>" not in svg
    assert "<rect" not in bar_chart("فارغ", [], color="#000")


def test_the_content_security_policy_allows_exactly_the_inline_script_and_style():
    import base64 as b64
    import hashlib

    for block in (SCRIPT, STYLE):
        assert b64.b64encode(hashlib.sha256(block.encode()).digest()).decode() in CSP
    assert "default-src 'none'" in CSP and "unsafe-inline" not in CSP


# --- a build writes the report ------------------------------------------------------------------

def corpus_raw(directory: Path, n: int) -> Path:
    """n small JSONL articles, each quoting its own speaker once."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"art-{k:03d}", "title": f"خبر {k}", "source": "وكالة",
                         "licence": "CC-BY-4.0",
                         "text": f"وقال الوزير سالم العلي{k} “نحن مستعدون للحوار الآن”."}, ensure_ascii=False)
             for k in range(n)]
    (directory / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def test_build_writes_the_report_and_the_manifest_lists_it(sample_out):
    report = sample_out / "report"
    assert (report / "index.html").is_file() and (report / "articles" / f"{SAMPLE_ID}.html").is_file()
    manifest = json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))
    assert f"report/articles/{SAMPLE_ID}.html" in manifest["outputs"] and "report/index.html" in manifest["outputs"]
    assert manifest["config"]["report_articles"] == report_module.DEFAULT_MAX_ARTICLES
    index = (report / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in index and 'id="capped"' not in index
    assert not re.search(r"(src|href)=\"(https?:)?//", index)  # nothing from the network


def test_report_articles_caps_the_article_pages_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "SPEAKERS_PER_PAGE", 2)
    monkeypatch.setattr(report_module, "ARTICLES_PER_PAGE", 2)
    out = tmp_path / "out"
    run_build(corpus_raw(tmp_path / "raw", 5), out, report_articles=3)
    report = out / "report"
    assert sorted(path.name for path in (report / "articles").iterdir()) == [f"art-00{k}.html" for k in range(3)]
    index = (report / "index.html").read_text(encoding="utf-8")
    capped = re.search(r'<p class="notice" id="capped">(.*?)</p>', index, re.S).group(1)
    assert "3" in capped and "5" in capped and "../hub/data/articles/" in capped
    assert (report / "speakers-0002.html").is_file() and (report / "speakers-0003.html").is_file()
    assert (report / "articles-0002.html").is_file() and not (report / "articles-0003.html").exists()
    assert 'href="speakers-0002.html"' in index
    # a speaker of an article past the cap is listed, without a link to a page that does not exist
    pages = "".join(path.read_text(encoding="utf-8") for path in report.glob("speakers-*.html")) + index
    assert "art-004" in pages and 'href="articles/art-004.html"' not in pages


def test_every_identity_gets_a_page_linked_from_the_table_and_the_articles(tmp_path):
    raw = corpus_raw(tmp_path / "raw", 3)
    with open(raw / "feed.jsonl", "a", encoding="utf-8") as handle:  # one speaker, two spellings
        for k, name in enumerate(("دونالد ترامب", "دونالد ترمب")):
            handle.write(json.dumps({"id": f"tr-{k}", "title": "خبر", "text": f"وقال الرئيس الأمريكي {name} “سنرى ما يحدث”."},
                                    ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    run_build(raw, out)
    speakers = datasets.load_from_disk(str(out / "speakers"))["train"].to_list()
    report = out / "report"
    pages = sorted(path.name for path in (report / "speakers").iterdir())
    assert pages == sorted(f"{row['speaker_id']}.html" for row in speakers)
    trump = next(row for row in speakers if "دونالد ترمب" in row["variants"])
    assert trump["variants"] == ["دونالد ترامب", "دونالد ترمب"] and trump["n_quotes"] == 2
    page = (report / "speakers" / f"{trump['speaker_id']}.html").read_text(encoding="utf-8")
    assert "دونالد ترمب" in page and 'href="../articles/tr-1.html"' in page
    index = (report / "index.html").read_text(encoding="utf-8")
    assert f'href="speakers/{trump["speaker_id"]}.html"' in index
    article = (report / "articles" / "tr-0.html").read_text(encoding="utf-8")
    assert f'href="../speakers/{trump["speaker_id"]}.html"' in article


def test_the_first_articles_by_id_are_picked_across_record_batches(tmp_path, monkeypatch):
    """The running bottom-k over the ids, reduced after every batch here, picks the first ids."""
    monkeypatch.setattr(report_module, "ID_CANDIDATES", 1)
    raw = corpus_raw(tmp_path / "raw", 20)
    lines = (raw / "feed.jsonl").read_text(encoding="utf-8").splitlines()
    (raw / "feed.jsonl").write_text("\n".join(reversed(lines)) + "\n", encoding="utf-8")  # ids descending
    out = tmp_path / "out"
    run_build(raw, out, report_articles=4, shard_size=3)  # a record batch per shard and split
    pages = sorted(path.name for path in (out / "report" / "articles").iterdir())
    assert pages == [f"art-00{k}.html" for k in range(4)]
    listed = (out / "report" / "index.html").read_text(encoding="utf-8").split('<table id="articles">')[1]
    assert re.findall(r'<a href="articles/(art-\d+)\.html">', listed) == [f"art-00{k}" for k in range(4)]


def test_the_report_of_a_built_folder_is_the_same_when_written_again(sample_out, tmp_path):
    copy = Path(shutil.copytree(sample_out, tmp_path / "out"))
    write_report(copy)  # counts from the manifest, the rest from the datasets
    for path in sorted((sample_out / "report").rglob("*.html")):
        assert (copy / path.relative_to(sample_out)).read_bytes() == path.read_bytes(), path


def test_publish_rewrites_the_report_with_another_cap(tmp_path):
    out = tmp_path / "out"
    run_build(corpus_raw(tmp_path / "raw", 3), out, report_articles=0)
    assert not any((out / "report" / "articles").iterdir())
    from builder.runner import publish_command

    publish_command(RunConfig(out=out, quiet=True, workers=1, report_articles=2))
    assert len(list((out / "report" / "articles").iterdir())) == 2


# --- the dataset card ----------------------------------------------------------------------------

def test_dataset_card_says_what_how_how_much_how_to_load_licences_limits_and_citation(sample_out):
    import yaml

    from builder.resources import versions

    card = (sample_out / "hub" / "README.md").read_text(encoding="utf-8")
    _, front, body = card.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert [c["config_name"] for c in meta["configs"]] == ["quotes", "articles", "speakers"]
    assert meta["size_categories"] == ["n<1K"]
    for heading in ("## Configs", "## Data fields", "## How it was built", "## Statistics", "## Loading",
                    "## Sources and licences", "## Known limitations", "## Citation"):
        assert f"\n{heading}\n" in body
    for stage in ("ingest", "segment", "detect", "attribute", "publish"):
        assert f"**{stage}**" in body
    for version in versions().values():
        assert version.replace("_", "\\_") in body and version in body.split("```bibtex")[1]
    for config in ("quotes", "articles", "speakers"):
        assert f'load_dataset("owner/name", "{config}")' in body
    assert f"- quotes: {SAMPLE_QUOTE_COUNT}" in body and "- articles: 1 in, 1 published, 0 rejected" in body
    assert "Quotes by attribution rule" in body and "Speakers by type" in body
    assert body.count("```") % 2 == 0


def test_dataset_card_escapes_the_sources_and_licences_of_the_input(hostile_out):
    card = (hostile_out / "hub" / "README.md").read_text(encoding="utf-8")
    assert "<script" not in card and "<img" not in card
    assert "&lt;script&gt;" in card and "&lt;img" in card
    articles = datasets.load_dataset(str(hostile_out / "hub"), "articles", cache_dir=str(hostile_out.parent / "cache"))
    assert len(articles["train"]) == 1


# --- in a real browser --------------------------------------------------------------------------

class Chromium:
    """Headless Chromium driven through the DevTools protocol on fds 3 and 4 (NUL-separated JSON)."""

    def __init__(self, executable: str, profile: Path):
        child_reads, self._write_fd = os.pipe()
        self._read_fd, child_writes = os.pipe()
        # bash puts the child's ends on the fds the protocol expects (3 and 4), then becomes Chromium.
        # They are first moved above 9, so that neither already is fd 3 or 4 (dash takes no fd
        # above 9, hence bash).
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (child_reads, child_writes)]
        for fd in (child_reads, child_writes):
            os.close(fd)
        self.log = profile / "chromium.log"
        shell = f'exec "$0" "$@" 3<&{high[0]} 4>&{high[1]} {high[0]}<&- {high[1]}>&-'
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [shutil.which("bash") or "/bin/bash", "-c", shell,
                 executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
                pass_fds=high, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        for fd in high:
            os.close(fd)
        self._counter = 0
        self._send_lock = threading.Lock()
        self._changed = threading.Condition()
        self._replies: dict[int, dict] = {}
        self.events: list[dict] = []
        self._alive = True
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                with self._changed:
                    for raw in messages:
                        message = json.loads(raw)
                        if "id" in message:
                            self._replies[message["id"]] = message
                        else:
                            self.events.append(message)
                    self._changed.notify_all()
        with self._changed:
            self._alive = False
            self._changed.notify_all()

    def _wait(self, ready, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        with self._changed:
            while (found := ready()) is None:
                left = deadline - time.monotonic()
                if left <= 0 or not self._alive:
                    raise RuntimeError(f"Chromium: no {what} ({'timed out' if left <= 0 else 'it exited'}); "
                                       f"its log: {self.log}")
                self._changed.wait(left)
            return found

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 20):
        with self._send_lock:
            self._counter += 1
            number = self._counter
            message = {"id": number, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            try:
                os.write(self._write_fd, json.dumps(message).encode() + b"\0")
            except BrokenPipeError:
                raise RuntimeError(f"Chromium exited before {method}; its log: {self.log}") from None
        reply = self._wait(lambda: self._replies.pop(number, None), f"reply to {method}", timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_event(self, method: str, session: str, since: int, timeout: float = 20) -> dict:
        return self._wait(lambda: next((e for e in self.events[since:] if e["method"] == method
                                        and e.get("sessionId") == session), None), method, timeout)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write_fd)


class Tab:
    """One page of the browser, 1280 pixels wide."""

    def __init__(self, browser: Chromium):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "DOM", "CSS"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False})
        self.since = 0

    def send(self, method: str, params: dict | None = None):
        return self.browser.send(method, params, self.session)

    def open(self, path: Path) -> None:
        self.since = len(self.browser.events)
        self.send("Page.navigate", {"url": path.as_uri()})
        self.browser.wait_event("Page.loadEventFired", self.session, self.since)

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Errors since the page was opened: exceptions, console errors, blocked resources (CSP), dialogs."""
        found = []
        for event in self.browser.events[self.since:]:
            if event.get("sessionId") != self.session:
                continue
            params = event["params"]
            if event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry']['text']}")
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(f"console: {params['args']}")
            elif event["method"] == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params['message']}")
                self.send("Page.handleJavaScriptDialog", {"accept": True})
        return found

    def fonts_of(self, selector: str) -> list[str]:
        """The font families Chromium really drew the element's text with."""
        root = self.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return [font["familyName"] for font in self.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))
        return path


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_chromium()
    if executable is None:
        message = ("Chromium is not installed: `apt-get install chromium fonts-noto-core` (Debian's package; "
                   ".ci/run installs it), or set CHROMIUM to its path")
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    chromium = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        chromium.send("Browser.getVersion", timeout=30)
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def tab(browser):
    page = Tab(browser)
    yield page
    browser.send("Target.closeTarget", {"targetId": page.send("Target.getTargetInfo")["targetInfo"]["targetId"]})


def keep_screenshot(tab: Tab, directory: Path, name: str, **options) -> Path:
    """A screenshot in the test's tmp folder (and in $REPORT_SCREENSHOTS if set); its path is printed."""
    path = tab.screenshot(directory / name, **options)
    if os.environ.get("REPORT_SCREENSHOTS"):
        target = Path(os.environ["REPORT_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / name)
    print(f"screenshot: {path}")
    return path


# Per quote number on the page: its highlighted text (every piece), its card, and the elements
# sharing its number (speaker mention, cue, addressee).
READ_QUOTES = """JSON.stringify(Array.from(document.querySelectorAll('.card')).map(function (card) {
  var n = card.id.slice(5);
  var tagged = function (cls) { return Array.from(document.querySelectorAll('#text .' + cls))
      .filter(function (el) { return el.dataset.q.split(' ').indexOf(n) >= 0; })
      .map(function (el) { return el.textContent; }); };
  var marks = Array.from(document.querySelectorAll('#text mark.q[data-q="' + n + '"]'));
  var field = function (name) { return card.querySelector('[data-field="' + name + '"]').textContent; };
  return {n: Number(n), quote: marks.map(function (m) { return m.textContent; }).join(''),
          title: marks.length ? marks[0].title : null, highlighted: marks.length ? getComputedStyle(marks[0]).backgroundColor : null,
          speaker: field('speaker'), rule: field('attribution_rule'), confidence: field('confidence'),
          speaker_type: field('speaker_type'), mention: tagged('sp'), cue: tagged('cue'), addressee: tagged('ad')};
}))"""


@pytest.mark.browser
def test_sample_article_page_highlights_every_quote_with_its_speaker(browser, tab, sample_out, tmp_path):
    rows = sorted((row for split in datasets.load_from_disk(str(sample_out / "quotes")).values() for row in split),
                  key=lambda row: row["quote_start"])
    assert len(rows) == SAMPLE_QUOTE_COUNT
    tab.open(sample_out / "report" / "articles" / f"{SAMPLE_ID}.html")
    assert tab.eval("document.documentElement.dir + ' ' + document.documentElement.lang") == "rtl ar"
    assert tab.eval("document.getElementById('quote-count').textContent") == str(SAMPLE_QUOTE_COUNT)
    shown = json.loads(tab.eval(READ_QUOTES))
    assert len(shown) == SAMPLE_QUOTE_COUNT
    for row, quote in zip(rows, shown):
        assert quote["quote"] == row["quote"]
        assert quote["highlighted"] not in (None, "rgba(0, 0, 0, 0)")
        assert quote["speaker"] == (row["speaker"] or report_module.UNKNOWN_SPEAKER)
        assert row["speaker"] and row["speaker"] in quote["title"] and row["attribution_rule"] in quote["title"]
        assert quote["rule"] == row["attribution_rule"] and quote["confidence"] == f"{row['confidence']:.2f}"
        assert f"({row['speaker_type']})" in quote["speaker_type"]
        assert quote["mention"] == ([row["speaker_mention"]] if row["speaker_mention"] else [])
        assert quote["cue"] == ([row["cue"]] if row["cue"] else [])
        assert quote["addressee"] == ([row["addressee"]] if row["addressee"] else [])
    # Austin speaks to Al-Abbasi: the addressee is marked in the text
    assert any(quote["addressee"] for quote in shown)
    # a click on a quote shows its card and lights up its speaker mention and cue
    tab.eval("document.querySelector('#text mark.q[data-q=\"0\"]').click()")
    assert tab.eval("document.getElementById('card-0').hidden") is False
    assert tab.eval("document.querySelectorAll('#text .sp.on').length") >= 1
    assert tab.eval("Array.from(document.querySelectorAll('.card')).filter(c => !c.hidden).length") == 1
    assert any(family in ARABIC_FAMILIES for family in tab.fonts_of("#text p")) or not IN_CI
    assert tab.problems() == []
    keep_screenshot(tab, tmp_path, "sample-article.png")
    keep_screenshot(tab, tmp_path, "sample-article-full.png", full_page=True)


@pytest.mark.browser
def test_index_page_shows_figures_speakers_charts_and_filters(browser, tab, sample_out, tmp_path):
    manifest = json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    speakers = datasets.load_from_disk(str(sample_out / "speakers"))["train"]
    tab.open(sample_out / "report" / "index.html")
    figures = tab.eval("Array.from(document.querySelectorAll('.figures dd')).map(d => d.textContent)")
    assert figures[:5] == [str(manifest[key]) for key in ("inputs", "published", "quotes", "speakers", "rejected")]
    assert figures[1:3] == ["1", str(SAMPLE_QUOTE_COUNT)]
    names = tab.eval("Array.from(document.querySelectorAll('#speakers td.speaker')).map(d => d.textContent)")
    assert names == speakers["speaker"]
    assert tab.eval("document.querySelectorAll('svg.chart').length") == 4
    assert tab.eval("document.querySelectorAll('svg.chart rect').length") >= 3
    link = tab.eval("document.querySelector('#speakers a').getAttribute('href')")
    assert (sample_out / "report" / link).is_file()
    keep_screenshot(tab, tmp_path, "index.png", full_page=True)
    # the filter: a part of a name, with its letters written another way (hamza, ta marbuta)
    target = speakers[0]["speaker"]
    tab.eval(f"var box = document.getElementById('speaker-filter'); box.value = {json.dumps(target)};"
             "box.dispatchEvent(new Event('input'))")
    visible = tab.eval("Array.from(document.querySelectorAll('#speakers tbody tr')).filter(r => !r.hidden)"
                       ".map(r => r.querySelector('td').textContent)")
    assert target in visible and len(visible) < len(speakers)
    assert tab.eval("document.getElementById('filter-count').textContent") == str(len(visible))
    tab.eval("var box = document.getElementById('speaker-filter'); box.value = '';"
             "box.dispatchEvent(new Event('input'));"
             "var kind = document.getElementById('type-filter'); kind.value = 'anonymous';"
             "kind.dispatchEvent(new Event('change'))")
    visible = tab.eval("Array.from(document.querySelectorAll('#speakers tbody tr')).filter(r => !r.hidden).length")
    assert visible == sum(kind == "anonymous" for kind in speakers["speaker_type"])
    assert tab.problems() == []


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("hostile") / "raw"
    raw.mkdir()
    text = (f"وقال الوزير سالم العلي {HOSTILE} “{HOSTILE} نحن مستعدون {HOSTILE_IMG} للحوار الآن”.\n"
            f"وأضاف <b id='xss-bold' onmouseover='window.__xss=3'>العلي</b> “لن نتراجع أبدا”.")
    article = {"id": "bad<script>window.__xss=4</script>", "title": f"عنوان {HOSTILE}", "section": HOSTILE_IMG,
               "source": HOSTILE, "url": "javascript:window.__xss=5", "date": HOSTILE, "licence": HOSTILE_IMG,
               "text": text}
    # Two rejects: markup in an id (valid JSON, no text: `no_text`, the id listed), and a line that
    # is not JSON (`bad_json`, its place listed).
    (raw / "feed.jsonl").write_text(json.dumps(article, ensure_ascii=False) + "\n" + '{"id": "x<img src=y>"}\n'
                                    + '{"id": "broken"\n', encoding="utf-8")
    out = raw.parent / "out"
    run_build(raw, out)
    return out


@pytest.mark.browser
@pytest.mark.parametrize("page", ["article", "index"])
def test_markup_in_the_input_shows_as_text_and_never_runs(browser, tab, hostile_out, page, tmp_path):
    report = hostile_out / "report"
    path = report / "index.html" if page == "index" else next((report / "articles").glob("*.html"))
    tab.open(path)
    assert tab.eval("typeof window.__xss") == "undefined"
    assert tab.eval("document.querySelectorAll('#xss-marker, #xss-bold, img').length") == 0
    assert tab.eval("document.scripts.length") == 1  # the page's own
    assert tab.eval("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    if page == "article":
        tab.eval("document.querySelectorAll('#text mark, #text span').forEach(el => el.click())")
        assert tab.eval("typeof window.__xss") == "undefined"
        text = tab.eval("document.getElementById('text').innerText")
        assert HOSTILE in text and "onerror='window.__xss=2'" in text and "<b id='xss-bold'" in text
        assert tab.eval("document.querySelectorAll('#text mark.q[id]').length") >= 1
    else:
        text = tab.eval("document.body.innerText")
        # both rejects are listed, the markup of the id as text
        assert "x<img src=y>" in text and "no_text" in text and "bad_json" in text
    assert HOSTILE in tab.eval("document.body.innerText")
    assert tab.problems() == []
    keep_screenshot(tab, tmp_path, f"hostile-{page}.png")


@pytest.mark.browser
def test_ci_has_an_arabic_font():
    if not shutil.which("fc-list"):
        pytest.skip("fontconfig (fc-list) is absent")
    families = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True, text=True).stdout
    if not any(family in families for family in ARABIC_FAMILIES):
        message = "no Arabic font of the page's stack is installed: `apt-get install fonts-noto-core`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
