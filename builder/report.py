"""OUT/report: a static review site of a build, for reading quotes in context.

    report/index.html             corpus figures, charts, speakers (page 1), articles (page 1), rejects
    report/speakers-0002.html     further pages of the speakers table
    report/speakers/<id>.html     one page per speaker identity: its variants, roles, quotes, articles
    report/articles-0002.html     further pages of the article list
    report/articles/<name>.html   one page per article: its text with every quote marked

The site is self-contained: no network, no external file; one inline style sheet and one small
inline script, both allowed by hash in a Content-Security-Policy that forbids everything else. So
even a slip in escaping could not run an article's markup; and nothing slips, because every piece
of input text (article text, titles, names, ids, messages) goes through `html.escape` before it is
written. The article markup is built from the quote rows' character offsets (`markup`), so what
the page highlights is exactly what the dataset says.

Large corpora: the speakers table and the article list are paginated, only the first
`max_speakers` identities of the speakers table (the most quoted) get a page, and only the first
`max_articles` articles by article_id get a page (the index says so and links the hub parquet for
the rest). The datasets are read a record batch at a time, and only what the pages show becomes
Python objects, so memory does not grow with the corpus. Output is deterministic: two builds of
the same input write the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from builder import __version__
from builder.resources import versions
from builder.text import fold_phrase

REPORT_DIR = "report"
DEFAULT_MAX_ARTICLES = 1000  # article pages written; the rest stay in the parquet files
SPEAKERS_PER_PAGE = 500
ARTICLES_PER_PAGE = 500
TOP_SPEAKERS_CHART = 15
REJECTS_SHOWN = 100
ROLES_SHOWN = 3
ARTICLE_LINKS_SHOWN = 5
VARIANTS_SHOWN = 3  # in the speakers table
DEFAULT_MAX_SPEAKERS = 2000  # identity pages written (the most quoted first)
IDENTITY_LIST_SHOWN = 500  # variants, roles and article links on an identity's page
QUOTE_PREVIEW = 90  # characters of a quote shown in an article's quote table
PAGES_IN_FLIGHT = 32  # pages made but not yet written (builder.report._PageWriter)
ID_CANDIDATES = 65_536  # article ids gathered before the running bottom-k (`_read`) reduces them
SPLITS = ("train", "validation", "test")

TYPE_LABELS = {"person": "شخص", "anonymous": "مصدر مجهول", "organization": "مؤسسة", "document": "وثيقة",
               "group": "جماعة", "unknown": "غير معروف"}
GENDER_LABELS = {"female": "مؤنث", "male": "مذكر", "unknown": "غير معروف"}
UNKNOWN_SPEAKER = "متحدث غير معروف"

# Arabic faces first (Debian: fonts-noto-core gives Noto Naskh/Sans Arabic), then the common ones
# of other systems, then anything with Arabic glyphs.
TEXT_FONTS = ('"Noto Naskh Arabic", "Amiri", "Scheherazade New", "Noto Sans Arabic", "Traditional Arabic", '
              '"Geeza Pro", "KacstOne", "Arabic Typesetting", "Times New Roman", "DejaVu Serif", serif')
UI_FONTS = ('"Noto Sans Arabic", "Noto Naskh Arabic", "Segoe UI", "Geeza Pro", "Tahoma", "Arial", '
            '"DejaVu Sans", sans-serif')

STYLE = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f7fa;--card:#fff;--accent:#1f5fa8;
--q:#fff1a8;--q-on:#ffd43b;--sp:#d6e8ff;--cue:#d3f2dc;--ad:#f0defc;--low:#c0392b}
*{box-sizing:border-box}
html{font-family:__UI_FONTS__;color:var(--ink);background:var(--bg);line-height:1.6}
body{margin:0}
a{color:var(--accent)}
header.top{background:#17345c;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:baseline;flex-wrap:wrap}
header.top a{color:#fff}
header.top h1{font-size:1.35rem;margin:0}
main{max-width:78rem;margin:0 auto;padding:1rem 1.5rem 3rem}
section{margin:1.5rem 0}
h2{font-size:1.2rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
code,.ltr{direction:ltr;unicode-bidi:isolate;font-family:"DejaVu Sans Mono",monospace;font-size:.85em}
.muted{color:var(--muted)}
.notice{background:#fff7e0;border:1px solid #f0c36d;padding:.6rem .9rem;border-radius:6px}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.8rem;margin:0;padding:0}
.figures div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem}
.figures dt{color:var(--muted);font-size:.9rem}
.figures dd{margin:0;font-size:1.7rem;font-weight:bold}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:1rem}
figure.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0;padding:.6rem}
figure.chart figcaption{font-weight:bold;margin-bottom:.3rem}
svg.chart{direction:ltr;width:100%;height:auto;font-family:__UI_FONTS__}
svg.chart text{font-size:13px;fill:var(--ink)}
svg.chart text.n{fill:var(--muted)}
svg.chart text.label{direction:rtl}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:start;vertical-align:top}
th{background:#eef1f6}
td.num,th.num{text-align:center;white-space:nowrap}
.filters{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap;margin:.5rem 0}
.filters input,.filters select{font:inherit;padding:.25rem .5rem}
nav.pages{margin:.6rem 0;display:flex;gap:.4rem;flex-wrap:wrap;align-items:center}
nav.pages a,nav.pages span{padding:.1rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--card)}
nav.pages span.current{background:var(--accent);color:#fff}
.legend{display:flex;gap:1rem;flex-wrap:wrap;font-size:.9rem;margin:.4rem 0}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 20rem;gap:1.2rem;align-items:start}
@media (max-width:60rem){.layout{grid-template-columns:1fr}}
article.text{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1.4rem;
font-family:__TEXT_FONTS__;font-size:1.2rem;line-height:2.1}
article.text p{margin:0 0 .9rem}
mark.q{background:var(--q);color:inherit;border-radius:3px;padding:0 .1rem;cursor:pointer}
mark.q.nospeaker{background:#ffe0d6}
mark.q.low{text-decoration:underline wavy var(--low)}
span.sp{background:var(--sp);border-bottom:2px solid #3b7dd8;border-radius:3px;cursor:pointer}
span.cue{background:var(--cue);font-weight:bold;border-radius:3px}
span.ad{background:var(--ad);border-bottom:2px dotted #8e44ad;border-radius:3px}
.on{outline:2px solid #e67e22;outline-offset:1px}
mark.q.on{background:var(--q-on)}
aside.details{position:sticky;top:1rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem}
aside.details h2{margin-top:0}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}
.card dt{color:var(--muted);white-space:nowrap}
.card dd{margin:0}
.card blockquote{margin:.6rem 0 0;padding:.4rem .6rem;border-inline-start:4px solid var(--q-on);background:#fffbea;
font-family:__TEXT_FONTS__}
dl.meta{display:grid;grid-template-columns:auto 1fr;gap:.1rem 1rem}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
""".replace("__UI_FONTS__", UI_FONTS).replace("__TEXT_FONTS__", TEXT_FONTS)

SCRIPT = r"""
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFKC").replace(/[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g, "")
      .replace(/[\u0623\u0625\u0622\u0671]/g, "\u0627").replace(/\u0649/g, "\u064a").replace(/\u0629/g, "\u0647")
      .replace(/\u0624/g, "\u0648").replace(/\u0626/g, "\u064a").toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }
  var box = document.getElementById("speaker-filter");
  var kind = document.getElementById("type-filter");
  var count = document.getElementById("filter-count");
  function filter() {
    var q = fold(box.value), t = kind ? kind.value : "", shown = 0;
    document.querySelectorAll("#speakers tbody tr").forEach(function (row) {
      var ok = (!q || row.dataset.key.indexOf(q) >= 0) && (!t || row.dataset.type === t);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = String(shown); }
  }
  if (box) {
    box.addEventListener("input", filter);
    if (kind) { kind.addEventListener("change", filter); }
    filter();
  }
  function select(i) {
    document.querySelectorAll(".on").forEach(function (el) { el.classList.remove("on"); });
    document.querySelectorAll(".card").forEach(function (el) { el.hidden = true; });
    var card = document.getElementById("card-" + i);
    if (!card) { return; }
    card.hidden = false;
    var hint = document.getElementById("details-hint");
    if (hint) { hint.hidden = true; }
    document.querySelectorAll("[data-q]").forEach(function (el) {
      if (el.dataset.q.split(" ").indexOf(i) >= 0) { el.classList.add("on"); }
    });
  }
  function pick(target) {
    var el = target.closest ? target.closest("[data-q]") : null;
    if (el) { select(el.dataset.q.split(" ")[0]); }
  }
  document.addEventListener("click", function (e) { pick(e.target); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { pick(e.target); }
  });
  function fromHash() {
    var m = /^#q-(\d+)$/.exec(location.hash);
    if (m) { select(m[1]); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
}());
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


# Nothing may load from anywhere (no network, no other file); only the two inline blocks run.
CSP = (f"default-src 'none'; script-src {_csp_hash(SCRIPT)}; style-src {_csp_hash(STYLE)}; "
       "img-src data:; base-uri 'none'; form-action 'none'")


def esc(value) -> str:
    """Input text made inert in HTML text and in quoted attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


# --- offsets to markup --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Span:
    """An element to wrap around text[start:end].

    attrs go on every piece of the element (a span crossing another one's edge, or a paragraph
    break, is cut into pieces); first_attrs (an id) only on the first piece. rank orders spans
    with the same offsets, outermost first.
    """

    start: int
    end: int
    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    first_attrs: tuple[tuple[str, str], ...] = ()
    rank: int = 0

    def open(self, first: bool) -> str:
        pairs = (*self.attrs, *(self.first_attrs if first else ()))
        return "<" + self.tag + "".join(f' {name}="{esc(value)}"' for name, value in pairs) + ">"

    def close(self) -> str:
        return f"</{self.tag}>"


def markup(text: str, spans: Iterable[Span], start: int = 0, end: int | None = None) -> str:
    """HTML of text[start:end] with every span wrapped in its element, well nested, text escaped.

    Overlapping spans are cut where they cross, so the elements always nest: the output is a
    list of segments between span edges, each inside exactly the spans that cover it, outermost
    first (earlier start, then later end, then rank). Spans outside [start, end) are left out,
    and ones crossing its edges are clipped. An empty span becomes an empty element at its place.
    The piece that begins where its span begins is the first one, and the only one with first_attrs,
    also when the text is rendered block by block.
    """
    end = len(text) if end is None else end
    spans = list(spans)
    covering = sorted((s for s in spans if s.start < s.end and s.start < end and s.end > start),
                      key=lambda s: (s.start, -s.end, s.rank))
    # An empty span on the edge of two blocks belongs to the one it starts (the last, at the end).
    empty = sorted((s for s in spans if s.start == s.end and (start <= s.start < end or s.start == end == len(text))),
                   key=lambda s: (s.start, s.rank))
    if not covering and not empty:  # most paragraphs hold no quote: the text alone, as the loop below gives it
        return esc(text[start:end])
    points = sorted({start, end} | {min(max(p, start), end) for s in covering for p in (s.start, s.end)}
                    | {s.start for s in empty})
    out: list[str] = []
    stack: list[Span] = []
    empty_at: dict[int, list[Span]] = defaultdict(list)
    for span in empty:
        empty_at[span.start].append(span)

    def move_to(active: list[Span], at: int) -> None:
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        out.extend(span.close() for span in reversed(stack[keep:]))
        out.extend(span.open(first=span.start == at) for span in active[keep:])
        stack[:] = active

    # The spans covering each segment, kept up to date as the sweep crosses their (clipped) edges:
    # linear in the spans, where filtering all of them for each segment was quadratic (an article
    # of 3,000 quotes in one paragraph took seconds).
    opening_at: dict[int, list[Span]] = defaultdict(list)
    closing_at: dict[int, list[Span]] = defaultdict(list)
    for span in covering:
        opening_at[max(span.start, start)].append(span)
        closing_at[min(span.end, end)].append(span)
    active: list[Span] = []
    for a, b in zip(points, points[1:]):
        closing = closing_at.get(a)
        if closing:
            closing_ids = {id(span) for span in closing}
            active = [span for span in active if id(span) not in closing_ids]
        # covering is sorted by start, so the spans opening here come after every active one,
        # and active stays in covering's order (outermost first).
        active = active + opening_at.get(a, [])
        if empty_at.get(a):
            move_to([s for s in stack if s in active], a)
            out.extend(s.open(first=True) + s.close() for s in empty_at.pop(a))
        move_to(active, a)
        out.append(esc(text[a:b]))
    move_to([], end)
    for spans_at_end in empty_at.values():
        out.extend(s.open(first=True) + s.close() for s in spans_at_end)
    return "".join(out)


def quote_spans(quotes: Sequence[dict]) -> list[Span]:
    """The spans of an article's quote rows: each quote, and its speaker mention, cue and addressee.

    A mention, cue or addressee shared by several quotes (a continuation carries the earlier
    mention) is one element listing all of them in data-q.
    """
    spans = []
    shared: dict[tuple[str, int, int], list[int]] = {}
    for number, row in enumerate(quotes):
        classes = "q" + ("" if row["speaker"] else " nospeaker") + (" low" if row["confidence"] < 0.5 else "")
        spans.append(Span(row["quote_start"], row["quote_end"], "mark",
                          (("class", classes), ("data-q", str(number)), ("title", quote_title(row))),
                          (("id", f"q-{number}"), ("tabindex", "0")), rank=0))
        for kind, field in (("sp", "speaker"), ("cue", "cue"), ("ad", "addressee")):
            begin, finish = row[f"{field}_start"], row[f"{field}_end"]
            if begin is not None and finish is not None:
                shared.setdefault((kind, begin, finish), []).append(number)
    labels = {"sp": "المتحدث", "cue": "فعل القول", "ad": "المخاطَب"}
    for (kind, begin, finish), numbers in shared.items():
        quotes_named = "، ".join(str(n + 1) for n in numbers)
        title = f"{labels[kind]} في الاقتباس {quotes_named}"
        if kind == "sp":
            title = f"{title}: {quotes[numbers[0]]['speaker'] or UNKNOWN_SPEAKER}"
        spans.append(Span(begin, finish, "span", (("class", kind), ("data-q", " ".join(map(str, numbers))),
                                                  ("title", title)), rank={"sp": 1, "ad": 2, "cue": 3}[kind]))
    return spans


def quote_title(row: dict) -> str:
    """The hover text of a quote: speaker, type, role, rule, confidence (plain text; escaped later)."""
    lines = [f"المتحدث: {row['speaker'] or UNKNOWN_SPEAKER}", f"النوع: {type_label(row['speaker_type'])}"]
    if row["speaker_role"]:
        lines.append(f"الصفة: {row['speaker_role']}")
    lines += [f"القاعدة: {row['attribution_rule']}", f"الثقة: {row['confidence']:.2f}"]
    return "\n".join(lines)


def type_label(kind: str | None) -> str:
    return f"{TYPE_LABELS.get(kind or '', kind or '')} ({kind})"


def render_text(text: str, paragraphs: Sequence[dict], spans: Sequence[Span]) -> str:
    """The article text as <p> blocks from its paragraph offsets, spans cut at paragraph breaks.

    Text between paragraphs is only white space in a well-formed build; anything else there is
    shown too, in its own block, so no character of the text is ever hidden.
    """
    blocks, position = [], 0
    for paragraph in sorted(paragraphs, key=lambda p: p["start"]):
        start, end = max(paragraph["start"], position), paragraph["end"]
        if text[position:start].strip():
            blocks.append((position, start))
        if end > start:
            blocks.append((start, end))
        position = max(position, end)
    if text[position:].strip():
        blocks.append((position, len(text)))
    # One sweep over the spans sorted by start, so each block sees only the spans that reach it.
    ordered = sorted(spans, key=lambda span: span.start)
    waiting, reaching, html_blocks = 0, [], []
    for start, end in blocks:
        while waiting < len(ordered) and ordered[waiting].start <= end:
            reaching.append(ordered[waiting])
            waiting += 1
        reaching = [span for span in reaching if span.end > start or span.start == span.end >= start]
        html_blocks.append(f"<p>{markup(text, reaching, start, end)}</p>")
    return "\n".join(html_blocks)


# --- charts -------------------------------------------------------------------------------------

def bar_chart(caption: str, items: Sequence[tuple[str, int]], *, color: str, label_width: int = 200,
              width: int = 560) -> str:
    """A horizontal bar chart as inline SVG, laid out right to left: labels on the right, bars
    growing leftwards. Each bar has a <title> with its full label and value."""
    row, top = 26, 6
    height = top * 2 + row * max(len(items), 1)
    most = max((value for _label, value in items), default=0) or 1
    room = width - label_width - 56
    parts = [f'<figure class="chart"><figcaption>{esc(caption)}</figcaption>',
             f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{esc(caption)}"><title>{esc(caption)}</title>']
    if not items:
        parts.append(f'<text class="label" x="{width - 4}" y="{top + 17}" text-anchor="start">لا توجد بيانات</text>')
    for number, (label, value) in enumerate(items):
        y = top + number * row
        bar = max(round(room * value / most), 1 if value else 0)
        right = width - label_width - 8
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<g><title>{esc(label)}: {value}</title>'
                     f'<text class="label" x="{width - 4}" y="{y + 17}" text-anchor="start">{esc(shown)}</text>'
                     f'<rect x="{right - bar}" y="{y + 4}" width="{bar}" height="{row - 8}" rx="3" fill="{color}"/>'
                     f'<text class="n" x="{right - bar - 5}" y="{y + 17}" text-anchor="end">{value}</text></g>')
    parts.append("</svg></figure>")
    return "".join(parts)


CONFIDENCE_BINS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0))


def confidence_bins(counts: Counter) -> list[tuple[str, int]]:
    """(label, quotes) per bin of CONFIDENCE_BINS, from quotes counted by bin index."""
    # Isolated left to right (LRI ... PDI): in a right-to-left line "0.0–0.2" would read "0.2–0.0".
    return [(f"\u2066{low:.1f}–{high:.1f}\u2069", counts.get(number, 0))
            for number, (low, high) in enumerate(CONFIDENCE_BINS)]


# --- pages --------------------------------------------------------------------------------------

def page(title: str, body: str, *, root: str = "") -> str:
    """A whole HTML document: right to left, Arabic, the style sheet and script inline."""
    return ("<!DOCTYPE html>\n"
            '<html lang="ar" dir="rtl">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="referrer" content="no-referrer">\n'
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f'<header class="top"><h1><a href="{root}index.html">مراجعة مجموعة الاقتباسات</a></h1>'
            f'<span>{esc(title)}</span></header>\n<main>\n{body}\n</main>\n'
            f'<footer>صفحة ثابتة تعمل دون اتصال بالشبكة، أنشأها <span class="ltr">arabic-quotes-builder '
            f"{esc(__version__)}</span></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def pages_nav(current: int, total: int, name_of) -> str:
    """Links to the pages of a paginated table (first, last and the ones near the current)."""
    if total <= 1:
        return ""
    links = []
    shown = sorted({1, total, *range(max(1, current - 3), min(total, current + 3) + 1)})
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append("<span>…</span>")
        links.append(f'<span class="current">{number}</span>' if number == current
                     else f'<a href="{name_of(number)}">{number}</a>')
        previous = number
    return (f'<nav class="pages" aria-label="الصفحات">الصفحة {current} من {total}: ' + "".join(links) + "</nav>")


def speakers_page_name(number: int) -> str:
    return "index.html" if number == 1 else f"speakers-{number:04d}.html"


def articles_page_name(number: int) -> str:
    return "index.html" if number == 1 else f"articles-{number:04d}.html"


_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


def article_page_name(article_id: str) -> str:
    """File name of an article's page under report/articles/.

    A plain lowercase id is used as it is; any other (slashes, Arabic, capitals, which collide on
    case-insensitive file systems) becomes a safe stem plus a hash of the id, so names never clash.
    """
    if _SAFE_NAME.fullmatch(article_id):
        return f"{article_id}.html"
    stem = re.sub(r"[^a-z0-9_-]+", "_", article_id.lower()).strip("_")[:60] or "article"
    return f"{stem}-{hashlib.sha1(article_id.encode('utf-8')).hexdigest()[:12]}.html"


@dataclass
class Corpus:
    """What the report shows, read back from a built OUT: what its pages hold, and counts; no
    Python object per article, quote or speaker of the corpus (the speakers table is read a page
    at a time when it is written, `_speaker_pages`)."""

    counts: dict
    articles: list[dict]  # the articles that get a page, sorted by article_id, with their quotes
    article_count: int
    quote_counts: Counter  # article_id -> quotes, for the articles with a page
    speakers_folder: Path  # OUT/speakers
    speaker_count: int
    top_speakers: list[tuple[str, int]]  # (speaker, n_quotes) of the TOP_SPEAKERS_CHART most quoted
    types: list[str]
    rules: Counter
    quote_types: Counter
    confidence_counts: Counter  # bin of CONFIDENCE_BINS -> quotes
    rejects: list[dict]
    reject_count: int
    hub_article_files: list[str]
    max_articles: int
    max_speakers: int = DEFAULT_MAX_SPEAKERS


def write_report(out: Path, *, max_articles: int = DEFAULT_MAX_ARTICLES, counts: dict | None = None,
                 max_speakers: int = DEFAULT_MAX_SPEAKERS) -> Path:
    """Write OUT/report from the datasets of OUT; return the index page.

    max_speakers: how many identities of the speakers table (the most quoted first) get a page.

    counts: the publish counts (inputs, rejects, quotes left out by MIN_CONFIDENCE); when not
    given they are read from OUT/manifest.json, or computed from the datasets and rejects.jsonl.
    """
    out = Path(out)
    if max_articles < 0:
        raise ValueError(f"max_articles must be 0 or more (got {max_articles})")
    if max_speakers < 0:
        raise ValueError(f"max_speakers must be 0 or more (got {max_speakers})")
    corpus = _read(out, max_articles, counts)
    corpus.max_speakers = max_speakers
    directory = out / REPORT_DIR
    if directory.exists():  # a hard-linked copy of a previous build: remove, never write through
        shutil.rmtree(directory)
    (directory / "articles").mkdir(parents=True)
    (directory / "speakers").mkdir()
    pages_of = {article["article_id"]: f"articles/{article_page_name(article['article_id'])}"
                for article in corpus.articles}
    speaker_pages = max(1, -(-corpus.speaker_count // SPEAKERS_PER_PAGE))
    article_pages = max(1, -(-len(corpus.articles) // ARTICLES_PER_PAGE))
    speaker_rows = _speaker_pages(corpus.speakers_folder, max_speakers)
    with _PageWriter(directory) as pages:
        first_rows = next(speaker_rows, [])
        pages.write("index.html", page("نظرة عامة", "\n".join([
            _figures(corpus), _stories_section(corpus), _charts(corpus),
            _speakers_section(corpus, first_rows, pages_of, 1, speaker_pages),
            _articles_section(corpus, pages_of, 1, article_pages), _rejects_section(corpus)])))
        identity_pages = _write_identity_pages(pages, first_rows, pages_of)
        for number, rows in enumerate(speaker_rows, start=2):
            pages.write(speakers_page_name(number),
                        page(f"المتحدثون، الصفحة {number}", _speakers_section(corpus, rows, pages_of, number, speaker_pages)))
            identity_pages |= _write_identity_pages(pages, rows, pages_of)
        for number in range(2, article_pages + 1):
            pages.write(articles_page_name(number),
                        page(f"المقالات، الصفحة {number}", _articles_section(corpus, pages_of, number, article_pages)))
        for article in corpus.articles:
            pages.write(pages_of[article["article_id"]], article_page(article, identity_pages))
    return directory / "index.html"


class _PageWriter:
    """Writes pages into a folder on a thread, so that the file system's time (most of it in
    creating the files) overlaps making the next page; at most PAGES_IN_FLIGHT wait in memory."""

    def __init__(self, directory: Path):
        from concurrent.futures import ThreadPoolExecutor

        self.directory = directory
        self.pending: deque = deque()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="report-pages")

    def write(self, name: str, content: str) -> None:
        self.pending.append(self.executor.submit(_write, self.directory / name, content))
        if len(self.pending) > PAGES_IN_FLIGHT:
            self.pending.popleft().result()

    def __enter__(self) -> "_PageWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.executor.shutdown()
        if exc_type is None:
            for written in self.pending:  # raise the first error of a write, if any
                written.result()


def _write(path: Path, content: str) -> None:
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(content)


def _read(out: Path, max_articles: int, counts: dict | None) -> Corpus:
    """What the pages show, read one record batch at a time: the articles that get a page and
    their quotes, the first rejects, the top speakers; the rest is counted in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def smallest(arrays: list) -> "pa.Array":
        """The max_articles smallest ids of arrays, copied (so no read batch stays referenced).
        Arrow orders strings by their UTF-8 bytes, which is code point order, as Python does."""
        ids = pa.concat_arrays(arrays)
        return ids.take(pc.bottom_k_unstable(ids, max_articles))

    # The first max_articles ids by a running bottom-k, batch by batch: never every id at once.
    # Candidates are reduced once they are many, so a large REPORT_ARTICLES costs no quadratic time.
    kept, held, article_count = [], 0, 0
    for batch in _batches(out / "articles", SPLITS, ["article_id"]):
        article_count += batch.num_rows
        if max_articles:
            kept.append(smallest([batch.column("article_id")]))
            held += len(kept[-1])
            if held > max(2 * max_articles, ID_CANDIDATES):
                kept = [smallest(kept)]
                held = len(kept[0])
    first = smallest(kept) if kept else pa.array([], pa.string())
    picked, picked_quotes = [], []
    quote_count, quote_types, rules, bins = 0, Counter(), Counter(), Counter()
    if len(first):
        for batch in _batches(out / "articles", SPLITS):
            rows = batch.filter(pc.is_in(batch.column("article_id"), value_set=first))
            picked += rows.select([name for name in rows.schema.names if name != "sentences"]).to_pylist()
    picked.sort(key=lambda article: article["article_id"])
    for batch in _batches(out / "quotes", SPLITS):
        quote_count += batch.num_rows
        quote_types.update(_value_counts(batch.column("speaker_type")))
        rules.update(_value_counts(batch.column("attribution_rule")))
        # bin = min(floor(5 * confidence), 4), counted in Arrow: no Python object per quote
        bins.update(_value_counts(pc.min_element_wise(
            pc.cast(pc.floor(pc.multiply(batch.column("confidence"), 5.0)), pa.int64()), 4)))
        if picked:
            picked_quotes += batch.filter(pc.is_in(batch.column("article_id"), value_set=first)).to_pylist()
    by_article: dict[str, list[dict]] = defaultdict(list)
    for row in picked_quotes:
        by_article[row["article_id"]].append(row)
    for article in picked:
        article["quotes"] = sorted(by_article.get(article["article_id"], []), key=lambda row: row["quote_start"])
    speaker_count, speaker_types, top_speakers = 0, set(), []
    for batch in _batches(out / "speakers", ("train",), ["speaker", "speaker_type", "n_quotes"]):
        speaker_count += batch.num_rows
        speaker_types.update(pc.unique(batch.column("speaker_type")).to_pylist())
        top_speakers += [(row["speaker"], row["n_quotes"])
                         for row in batch.slice(0, TOP_SPEAKERS_CHART - len(top_speakers)).to_pylist()]
    rejects_path = out / "rejects.jsonl"
    rejects, reject_count = [], 0
    if rejects_path.is_file():
        with open(rejects_path, encoding="utf-8") as handle:
            for line in handle:
                reject_count += 1
                if len(rejects) < REJECTS_SHOWN:
                    rejects.append(json.loads(line))
    if counts is None and (out / "manifest.json").is_file():
        counts = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("counts")
    counts = dict(counts or {})
    counts.setdefault("published", article_count)
    counts.setdefault("rejected", reject_count)
    counts.setdefault("inputs", counts["published"] + counts["rejected"])
    counts.setdefault("quotes", quote_count)
    counts.setdefault("speakers", speaker_count)
    hub = out / "hub" / "data" / "articles"
    hub_files = sorted(f"../hub/data/articles/{path.name}" for path in hub.glob("*.parquet")) if hub.is_dir() else []
    return Corpus(counts=counts, articles=picked, article_count=article_count,
                  quote_counts=Counter(row["article_id"] for row in picked_quotes), speakers_folder=out / "speakers",
                  speaker_count=speaker_count, top_speakers=top_speakers, types=sorted({*quote_types, *speaker_types}),
                  rules=rules, quote_types=quote_types, confidence_counts=bins, rejects=rejects,
                  reject_count=reject_count, hub_article_files=hub_files, max_articles=max_articles)


def _batches(folder: Path, splits: Sequence[str], columns: Sequence[str] | None = None) -> Iterator:
    """The record batches (of those columns) of those splits (the ones it has, in that order) of a
    DatasetDict saved by publish, one at a time: the data files load_from_disk would map, read
    with pyarrow alone, since importing datasets takes longer than writing the report of a small
    build. Read, not memory-mapped: a mapping's pages would stay in this process's memory (RSS)
    up to a whole 500 MB data file; a read batch is freed once used."""
    import pyarrow as pa

    saved = json.loads((folder / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
    for split in (split for split in splits if split in saved):
        state = json.loads((folder / split / "state.json").read_text(encoding="utf-8"))
        for data_file in state["_data_files"]:
            with pa.OSFile(str(folder / split / data_file["filename"])) as source:
                for batch in pa.ipc.open_stream(source):
                    yield batch if columns is None else batch.select(columns)


def _value_counts(column) -> Counter:
    """Occurrences of each value of an Arrow array, nulls left out."""
    import pyarrow.compute as pc

    return Counter({item["values"]: item["counts"] for item in pc.value_counts(column).to_pylist()
                    if item["values"] is not None})


def _figures(corpus: Corpus) -> str:
    counts = corpus.counts
    figures = [("المدخلات", counts["inputs"]), ("المقالات المنشورة", counts["published"]),
               ("الاقتباسات", counts["quotes"]), ("المتحدثون", counts["speakers"]),
               ("المرفوضة", counts["rejected"])]
    if counts.get("quotes_below_min_confidence"):
        figures.append(("اقتباسات دون حد الثقة", counts["quotes_below_min_confidence"]))
    cells = "".join(f'<div><dt>{esc(label)}</dt><dd id="fig-{n}">{value}</dd></div>'
                    for n, (label, value) in enumerate(figures))
    rules = "، ".join(f'<code>{esc(version)}</code>' for _name, version in sorted(versions().items()))
    parts = ['<section id="figures"><h2>أرقام المجموعة</h2>', f'<dl class="figures">{cells}</dl>',
             f'<p class="muted">إصدارات القواعد: {rules}</p>']
    if len(corpus.articles) < corpus.article_count:
        files = "، ".join(f'<a href="{esc(path)}"><code>{esc(path.removeprefix("../"))}</code></a>'
                          for path in corpus.hub_article_files)
        parts.append(f'<p class="notice" id="capped">يعرض هذا التقرير صفحات أول {len(corpus.articles)} مقالة '
                     f'(بترتيب المعرّف) من أصل {corpus.article_count}؛ نصوص المقالات الأخرى واقتباساتها في ملفات '
                     f'parquet: {files or "<code>hub/data/articles</code>"} '
                     f'(يُغيَّر الحد بالخيار <code>REPORT_ARTICLES</code>).</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _stories_section(corpus: Corpus) -> str:
    """Stories, copies and repeated quotes (builder/stories.py), from the manifest's counts."""
    stats = corpus.counts.get("stories")
    if not stats:
        return ""
    figures = [("القصص", stats["stories"]), ("قصص لها نسخ", stats["stories_with_copies"]),
               ("مقالات في قصص لها نسخ", stats["articles_in_copies"]), ("أكبر قصة (مقالات)", stats["largest_story"]),
               ("اقتباسات مكررة", stats["repeated_quotes"]), ("صفوف اقتباسات مكررة", stats["repeated_quote_rows"])]
    if stats.get("dedup"):
        figures.append(("نسخ حذفها DEDUP", stats["dedup_dropped"]))
    cells = "".join(f'<div><dt>{esc(label)}</dt><dd id="story-fig-{n}">{value}</dd></div>'
                    for n, (label, value) in enumerate(figures))
    total, leaked = stats["test_quotes_6w"], stats["test_quotes_6w_in_train"]
    share = f"{100 * leaked / total:.1f} %" if total else "–"
    return ('<section id="stories"><h2>القصص والاقتباسات المكررة</h2>'
            '<p class="muted">تُجمع نسخ الخبر الواحد (نسخ الوكالات في مواقع مختلفة، أو مقالات تحمل الاقتباس نفسه من '
            'ست كلمات فأكثر) في قصة واحدة، وتُقسم المجموعة حسب القصة، فلا تقع نسختان من قصة في قسمين مختلفين. '
            'الاقتباس المكرر: الاقتباس نفسه للمتحدث نفسه في أكثر من مقالة.</p>'
            f'<dl class="figures">{cells}</dl>'
            f'<p id="leakage">اقتباسات <code>test</code> من ست كلمات فأكثر الموجودة حرفيا في <code>train</code>: '
            f'{leaked} من {total} ({share}).</p></section>')


def _charts(corpus: Corpus) -> str:
    top = corpus.top_speakers
    kinds = sorted(corpus.quote_types.items(), key=lambda item: (-item[1], item[0]))
    rules = sorted(corpus.rules.items(), key=lambda item: (-item[1], item[0]))
    charts = [
        bar_chart(f"الاقتباسات لكل متحدث (أكثر {TOP_SPEAKERS_CHART})", top, color="#1f5fa8"),
        bar_chart("الاقتباسات بحسب نوع المتحدث", [(type_label(kind), n) for kind, n in kinds], color="#2e8b57"),
        bar_chart("الاقتباسات بحسب قاعدة الإسناد", rules, color="#8e44ad", label_width=210),
        bar_chart("الاقتباسات بحسب درجة الثقة", confidence_bins(corpus.confidence_counts), color="#d35400"),
    ]
    return '<section id="charts"><h2>رسوم بيانية</h2><div class="charts">' + "\n".join(charts) + "</div></section>"


def _speaker_pages(folder: Path, max_speakers: int = DEFAULT_MAX_SPEAKERS) -> Iterator[list[dict]]:
    """The rows of the speakers table, SPEAKERS_PER_PAGE at a time, read one record batch at a
    time, each with only the lists its pages show (`n_<list>`: how many there are), so a speaker
    quoted in a million articles stays IDENTITY_LIST_SHOWN ids; `page` is the identity's page, for
    the first max_speakers rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows: list[dict] = []
    rank = 0
    for batch in _batches(folder, ("train",)):
        for offset in range(0, batch.num_rows, SPEAKERS_PER_PAGE):
            part = batch.slice(offset, SPEAKERS_PER_PAGE)
            columns = {name: part.column(name) for name in ("speaker_id", "speaker", "speaker_type", "generic",
                                                               "genders", "n_quotes", "n_articles")}
            for name in ("variants", "roles", "article_ids"):
                columns[name] = pc.list_slice(part.column(name), 0, IDENTITY_LIST_SHOWN)
                columns[f"n_{name}"] = pc.list_value_length(part.column(name))
            for row in pa.table(columns).to_pylist():
                row["page"] = identity_page_name(row["speaker_id"]) if rank < max_speakers else None
                rank += 1
                rows.append(row)
            if len(rows) >= SPEAKERS_PER_PAGE:
                yield rows[:SPEAKERS_PER_PAGE]
                rows = rows[SPEAKERS_PER_PAGE:]
    if rows:
        yield rows


def identity_page_name(speaker_id: str) -> str:
    """The page of a speaker identity, under report/ (ids are `spk-` and hex digits; anything else
    is made safe as article names are)."""
    return f"speakers/{article_page_name(speaker_id)}"


def _write_identity_pages(pages: "_PageWriter", rows: list[dict], pages_of: dict) -> set[str]:
    """Write the pages of the identities of rows that get one; their speaker ids."""
    written = set()
    for row in rows:
        if row["page"]:
            pages.write(row["page"], identity_page(row, pages_of))
            written.add(row["speaker_id"])
    return written


def _more(shown: int, total: int) -> str:
    return f" و{total - shown} أخرى" if total > shown else ""


def identity_page(row: dict, pages_of: dict) -> str:
    """The page of one speaker identity: its preferred name, variants, type, roles, genders, counts
    and the articles quoting it (linked where they have a page)."""
    links = []
    for article_id in row["article_ids"]:
        target = pages_of.get(article_id)
        links.append(f'<li><a href="../{esc(target)}"><bdi>{esc(article_id)}</bdi></a></li>' if target
                     else f'<li><bdi class="muted">{esc(article_id)}</bdi></li>')
    generic = ("مصدر عام: هوية خاصة بمقالة واحدة (لا تُدمج مع مقالات أخرى)" if row["generic"]
               else "مصدر مسمّى: هوية واحدة في المجموعة كلها")
    meta = [("المعرّف", f'<code>{esc(row["speaker_id"])}</code>'), ("النوع", esc(type_label(row["speaker_type"]))),
            ("النطاق", esc(generic)), ("الاقتباسات", f'<span id="identity-quotes">{row["n_quotes"]}</span>'),
            ("المقالات", str(row["n_articles"])),
            ("الجنس", "، ".join(esc(GENDER_LABELS.get(g, g)) for g in row["genders"]) or esc(GENDER_LABELS["unknown"]))]
    meta_html = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in meta)
    variants = "".join(f"<li><bdi>{esc(v)}</bdi></li>" for v in row["variants"])
    roles = "".join(f"<li>{esc(r)}</li>" for r in row["roles"])
    body = (f'<p><a href="../index.html#speakers-section">→ العودة إلى المتحدثين</a></p>'
            f'<h2 id="identity-name">{esc(row["speaker"])}</h2><dl class="meta">{meta_html}</dl>'
            f'<section><h2>الصيغ المدمجة ({row["n_variants"]})</h2><ul id="variants">{variants}</ul>'
            f'{esc(_more(len(row["variants"]), row["n_variants"]))}</section>'
            f'<section><h2>الصفات ({row["n_roles"]})</h2><ul id="roles">{roles}</ul>'
            f'{esc(_more(len(row["roles"]), row["n_roles"]))}</section>'
            f'<section><h2>المقالات ({row["n_article_ids"]})</h2><ul id="identity-articles">{"".join(links)}</ul>'
            f'{esc(_more(len(row["article_ids"]), row["n_article_ids"]))}</section>')
    return page(row["speaker"], body, root="../")


def _speakers_section(corpus: Corpus, rows: list[dict], pages_of: dict, number: int, total: int) -> str:
    body = []
    for row in rows:
        roles = row["roles"][:ROLES_SHOWN]
        links = []
        for article_id in row["article_ids"][:ARTICLE_LINKS_SHOWN]:
            target = pages_of.get(article_id)
            links.append(f'<a href="{esc(target)}"><bdi>{esc(article_id)}</bdi></a>' if target
                         else f'<bdi class="muted">{esc(article_id)}</bdi>')
        others = [v for v in row["variants"] if v != row["speaker"]]
        variants = "، ".join(f"<bdi>{esc(v)}</bdi>" for v in others[:VARIANTS_SHOWN])
        n_others = row["n_variants"] - (len(row["variants"]) - len(others))
        # the filter finds an identity by any of its variants
        key = " | ".join(fold_phrase(v) for v in [row["speaker"], *others])
        name = (f'<a href="{esc(row["page"])}">{esc(row["speaker"])}</a>' if row["page"] else esc(row["speaker"]))
        body.append(
            f'<tr data-key="{esc(key)}" data-type="{esc(row["speaker_type"])}">'
            f'<td class="speaker">{name}</td><td>{variants}{esc(_more(min(len(others), VARIANTS_SHOWN), n_others))}</td>'
            f'<td>{esc(type_label(row["speaker_type"]))}{" (عام)" if row["generic"] else ""}</td>'
            f'<td>{"، ".join(esc(role) for role in roles)}{esc(_more(len(roles), row["n_roles"]))}</td>'
            f'<td class="num">{row["n_quotes"]}</td>'
            f'<td>{"، ".join(links)}{esc(_more(len(links), row["n_article_ids"]))}</td></tr>')
    options = "".join(f'<option value="{esc(kind)}">{esc(type_label(kind))}</option>' for kind in corpus.types)
    scope = (f"تشمل التصفية هذه الصفحة فقط ({len(rows)} من {corpus.speaker_count} متحدثًا)." if total > 1 else "")
    capped = (f"لأكثر {corpus.max_speakers} متحدثًا اقتباسًا صفحات خاصة."
              if corpus.speaker_count > corpus.max_speakers else "")
    nav = pages_nav(number, total, speakers_page_name)
    return (f'<section id="speakers-section"><h2>المتحدثون ({corpus.speaker_count})</h2>'
            f'<div class="filters"><label>تصفية بحسب المتحدث: <input type="search" id="speaker-filter" '
            f'placeholder="اكتب جزءًا من الاسم" autocomplete="off"></label>'
            f'<label>النوع: <select id="type-filter"><option value="">كل الأنواع</option>{options}</select></label>'
            f'<span>المعروض: <span id="filter-count">{len(rows)}</span></span>'
            f'<span class="muted">{esc(scope)} {esc(capped)}</span></div>{nav}'
            '<table id="speakers"><thead><tr><th>المتحدث</th><th>صيغ أخرى</th><th>النوع</th><th>الصفات</th>'
            '<th class="num">الاقتباسات</th><th>المقالات</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{nav}</section>')


def _articles_section(corpus: Corpus, pages_of: dict, number: int, total: int) -> str:
    rows = corpus.articles[(number - 1) * ARTICLES_PER_PAGE: number * ARTICLES_PER_PAGE]
    body = "".join(
        f'<tr><td><a href="{esc(pages_of[article["article_id"]])}">{esc(article["title"] or article["article_id"])}</a></td>'
        f'<td><bdi>{esc(article["article_id"])}</bdi></td><td>{esc(article["section"])}</td>'
        f'<td>{esc(article["source"])}</td><td><bdi>{esc(article["date"])}</bdi></td>'
        f'<td class="num">{corpus.quote_counts.get(article["article_id"], 0)}</td></tr>' for article in rows)
    nav = pages_nav(number, total, articles_page_name)
    shown = (f"{len(corpus.articles)} من {corpus.article_count}" if len(corpus.articles) < corpus.article_count
             else str(corpus.article_count))
    return (f'<section id="articles-section"><h2>المقالات ({shown})</h2>{nav}'
            '<table id="articles"><thead><tr><th>العنوان</th><th>المعرّف</th><th>القسم</th><th>المصدر</th>'
            f'<th>التاريخ</th><th class="num">الاقتباسات</th></tr></thead><tbody>{body}</tbody></table>{nav}</section>')


def _rejects_section(corpus: Corpus) -> str:
    if not corpus.reject_count:
        return '<section id="rejects"><h2>المدخلات المرفوضة (0)</h2><p>لم يُرفض أي مدخل.</p></section>'
    reasons = Counter(reject["reason"] for reject in corpus.rejects)
    rows = "".join(
        f'<tr><td><bdi>{esc(r.get("source_path"))}</bdi></td><td class="num">{esc(r.get("source_line") or "")}</td>'
        f'<td><bdi>{esc(r.get("article_id") or "")}</bdi></td><td><code>{esc(r.get("stage"))}</code></td>'
        f'<td><code>{esc(r.get("reason"))}</code></td><td><bdi>{esc(r.get("message"))}</bdi></td></tr>'
        for r in corpus.rejects)
    shown = (f"<p class=\"muted\">أول {len(corpus.rejects)} من {corpus.reject_count}؛ القائمة كاملة في "
             f"<code>rejects.jsonl</code>.</p>" if len(corpus.rejects) < corpus.reject_count else "")
    summary = "، ".join(f"<code>{esc(reason)}</code> {n}" for reason, n in sorted(reasons.items()))
    return (f'<section id="rejects"><h2>المدخلات المرفوضة ({corpus.reject_count})</h2><p>{summary}</p>{shown}'
            '<table><thead><tr><th>الملف</th><th>السطر</th><th>المعرّف</th><th>المرحلة</th><th>السبب</th>'
            f'<th>الرسالة</th></tr></thead><tbody>{rows}</tbody></table></section>')


def _safe_url(url: str) -> str | None:
    """The url if it is a plain web address; anything else (javascript:, data:) is shown as text only."""
    return url if re.match(r"https?://[^\s\"'<>]+$", url or "", re.IGNORECASE) else None


def article_page(article: dict, identity_pages: set[str] | frozenset = frozenset()) -> str:
    """The page of one article: its metadata, the marked text, a details panel and the quote table
    (a speaker links to its identity's page, when it has one: identity_pages)."""
    quotes = article["quotes"]
    text = article["text"]
    url = _safe_url(article.get("url") or "")
    meta = [("المعرّف", f'<bdi>{esc(article["article_id"])}</bdi>'), ("القسم", esc(article.get("section"))),
            ("المصدر", esc(article.get("source"))), ("التاريخ", f'<bdi>{esc(article.get("date"))}</bdi>'),
            ("الرابط", f'<a href="{esc(url)}" rel="noreferrer"><bdi>{esc(url)}</bdi></a>' if url
             else f'<bdi>{esc(article.get("url"))}</bdi>'),
            ("الترخيص", esc(article.get("licence"))), ("الملف", f'<bdi>{esc(article.get("source_path"))}</bdi>'),
            ("الترميز", f'<code>{esc(article.get("source_encoding"))}</code>'),
            ("القصة", f'<bdi>{esc(article.get("story_id"))}</bdi>' if article.get("story_id") not in (None, article["article_id"])
             else "")]
    meta_html = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in meta if value and value != "<bdi></bdi>")
    cards = "".join(_quote_card(number, row) for number, row in enumerate(quotes))
    table_rows = "".join(
        f'<tr><td class="num"><a href="#q-{number}">{number + 1}</a></td>'
        f'<td>{esc(_preview(row["quote"]))}</td><td>{_speaker_cell(row, identity_pages)}</td>'
        f'<td>{esc(type_label(row["speaker_type"]))}</td><td>{esc(row["speaker_role"] or "")}</td>'
        f'<td>{esc(row["cue"] or "")}</td><td>{esc(row["addressee"] or "")}</td>'
        f'<td><code>{esc(row["attribution_rule"])}</code></td><td class="num">{row["confidence"]:.2f}</td></tr>'
        for number, row in enumerate(quotes))
    anomalies = article.get("anomalies") or []
    anomaly_html = ("<p class=\"muted\">علامات تنصيص لم تُغلق أو لم تُفتح: " + "، ".join(
        f'<code>{esc(a.get("kind"))}</code> <bdi>{esc(a.get("mark"))}</bdi> عند الحرف {esc(a.get("pos"))}'
        for a in anomalies)
        + "</p>") if anomalies else ""
    legend = ('<div class="legend" aria-label="مفتاح الألوان"><mark class="q">اقتباس</mark>'
              '<span class="sp">المتحدث كما ذُكر</span><span class="cue">فعل القول</span>'
              '<span class="ad">المخاطَب</span><mark class="q nospeaker">اقتباس بلا متحدث</mark>'
              '<mark class="q low">ثقة دون 0.5</mark></div>')
    body = (f'<p><a href="../index.html">→ العودة إلى الفهرس</a></p>'
            f'<h2 id="title">{esc(article.get("title") or article["article_id"])}</h2>'
            f'<dl class="meta">{meta_html}</dl>'
            f'<p>عدد الاقتباسات: <strong id="quote-count">{len(quotes)}</strong>. مرّر المؤشر فوق اقتباس لرؤية '
            'متحدثه، أو انقر عليه لعرض التفاصيل.</p>'
            f'{legend}{anomaly_html}<div class="layout">'
            f'<article class="text" id="text" lang="ar" dir="rtl">{render_text(text, article["paragraphs"], quote_spans(quotes))}</article>'
            '<aside class="details" aria-live="polite"><h2>تفاصيل الاقتباس</h2>'
            f'<p id="details-hint" class="muted">انقر على اقتباس في النص.</p>{cards}</aside></div>'
            '<section><h2>الاقتباسات</h2><table id="quotes"><thead><tr><th class="num">#</th><th>الاقتباس</th>'
            '<th>المتحدث</th><th>النوع</th><th>الصفة</th><th>فعل القول</th><th>المخاطَب</th><th>القاعدة</th>'
            f'<th class="num">الثقة</th></tr></thead><tbody>{table_rows}</tbody></table></section>')
    return page(article.get("title") or article["article_id"], body, root="../")


def _speaker_cell(row: dict, identity_pages) -> str:
    name = esc(row["speaker"] or UNKNOWN_SPEAKER)
    speaker_id = row.get("speaker_id")
    if speaker_id and speaker_id in identity_pages:
        return f'<a href="../{esc(identity_page_name(speaker_id))}">{name}</a>'
    return name


def _preview(quote: str) -> str:
    return quote if len(quote) <= QUOTE_PREVIEW else quote[: QUOTE_PREVIEW - 1] + "…"


def _quote_card(number: int, row: dict) -> str:
    fields = [("speaker", "المتحدث", esc(row["speaker"] or UNKNOWN_SPEAKER)),
              ("speaker_type", "النوع", esc(type_label(row["speaker_type"]))),
              ("speaker_gender", "الجنس", esc(GENDER_LABELS.get(row["speaker_gender"], row["speaker_gender"]))),
              ("speaker_role", "الصفة", esc(row["speaker_role"] or "—")),
              ("speaker_mention", "الإشارة", esc(row["speaker_mention"] or "—")),
              ("cue", "فعل القول", esc(row["cue"] or "—")), ("addressee", "المخاطَب", esc(row["addressee"] or "—")),
              ("attribution_rule", "القاعدة", f'<code>{esc(row["attribution_rule"])}</code>'),
              ("confidence", "الثقة", f'{row["confidence"]:.2f}'),
              ("mark_style", "العلامات", f'<code>{esc(row["mark_style"])}</code>'),
              ("position", "الموضع", f'الفقرة {row["paragraph_index"] + 1}، الجملة {row["sentence_index"] + 1}'),
              ("quote_id", "المعرّف", f'<bdi>{esc(row["quote_id"])}</bdi>')]
    if row.get("n_copies", 1) > 1:
        fields.append(("n_copies", "النسخ", f'{row["n_copies"]} مقالات، أولها <bdi>{esc(row["first_article_id"])}</bdi>'))
    items = "".join(f'<dt>{label}</dt><dd data-field="{key}">{value}</dd>' for key, label, value in fields)
    return (f'<div class="card" id="card-{number}" hidden><h3>الاقتباس {number + 1}</h3>'
            f'<dl>{items}</dl><blockquote>{esc(_preview(row["quote"]))}</blockquote></div>')
