"""Atomic builds: a build killed with SIGKILL at a known point leaves the previous OUT whole, and
the next build completes; exit codes say whether the code (1) or only the input (0) failed.

The kill is deterministic: BUILDER_KILL_AT=<point> makes the build SIGKILL itself there
(builder/store.py `checkpoint`), never after a sleep.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from builder import store
from builder.runner import RunConfig, build
from conftest import digests

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "raw" / "000_7bb7ae16394dc573.txt"
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
OFFLINE.pop(store.KILL_AT_ENV, None)
EXTRA = "سياسة\nعنوان\n\nوقال وزير الخارجية كمال الهاشمي للصحفيين: «نحن مستعدون للحوار مع الجميع دون شروط».\n"


def cli(*args: str, env: dict | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    """python -m builder ARGS, or the CLI's main after `code` (which may patch the builder)."""
    command = [sys.executable, "-m", "builder", *args] if code is None else \
        [sys.executable, "-c", f"import sys\n{code}\nfrom builder.cli import main\nsys.exit(main({list(args)!r}))"]
    return subprocess.run(command, capture_output=True, text=True, env={**OFFLINE, **(env or {})}, cwd=REPO, timeout=300)


def assert_whole(out: Path) -> dict:
    """OUT is one complete build: its manifest hashes exactly the files it holds."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = digests(out)
    files.pop("manifest.json")
    assert manifest["outputs"] == files
    counts = manifest["counts"]
    assert counts["inputs"] == counts["published"] + counts["rejected"]
    return manifest


@pytest.fixture
def folders(tmp_path):
    """(old RAW, new RAW, OUT built from the old RAW): the new RAW has one article more."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    shutil.copy(SAMPLE, old / "sample.txt")
    shutil.copytree(old, new)
    (new / "extra.txt").write_text(EXTRA, encoding="utf-8")
    out = tmp_path / "out"
    build(RunConfig(raw=old, out=out, workers=1, quiet=True))
    return old, new, out


@pytest.mark.parametrize("point", ["shard", "publish", "swap", "swapped"])
def test_a_killed_build_leaves_a_whole_out_and_the_next_build_completes(folders, tmp_path, point):
    old, new, out = folders
    before = digests(out)
    killed = cli("build", "--raw", str(new), "--out", str(out), "--workers", "1", "--quiet",
                 env={store.KILL_AT_ENV: point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "swapped":  # killed after the exchange: OUT is already the new build, whole
        assert assert_whole(out)["counts"]["inputs"] == 2
    else:
        assert digests(out) == before
        assert assert_whole(out)["counts"]["inputs"] == 1
    assert (tmp_path / ".out.building").exists()  # what the killed build left; the next one handles it

    build(RunConfig(raw=new, out=out, workers=1, quiet=True))
    assert assert_whole(out)["counts"]["inputs"] == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == [".out.lock", "new", "old", "out"]
    fresh = tmp_path / "fresh"
    build(RunConfig(raw=new, out=fresh, workers=1, quiet=True))
    assert digests(out) == digests(fresh)  # resumed or not, the same bytes as a clean build


@pytest.mark.parametrize("point", ["publish", "swapped"])
def test_a_killed_publish_never_writes_through_to_the_previous_out(folders, tmp_path, point):
    """publish starts from a hard-linked copy of OUT: killing it must not change a byte of OUT."""
    from builder.runner import publish_command

    _old, _new, out = folders
    before = digests(out)
    killed = cli("publish", "--out", str(out), env={store.KILL_AT_ENV: point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "publish":
        assert digests(out) == before
    assert_whole(out)
    publish_command(RunConfig(out=out, quiet=True))
    after = digests(out)
    assert {k: v for k, v in after.items() if k != "manifest.json"} == \
        {k: v for k, v in before.items() if k != "manifest.json"}
    assert sorted(path.name for path in tmp_path.iterdir()) == [".out.lock", "new", "old", "out"]


def test_the_swap_is_one_atomic_exchange(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").touch()
    (b / "from-b").touch()
    if not store.exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here: the two-rename fallback is used")
    assert [p.name for p in a.iterdir()] == ["from-b"] and [p.name for p in b.iterdir()] == ["from-a"]


def test_without_the_exchange_the_two_renames_still_replace_out(folders, monkeypatch):
    _old, new, out = folders
    monkeypatch.setattr(store, "exchange", lambda a, b: False)
    build(RunConfig(raw=new, out=out, workers=1, quiet=True))
    assert assert_whole(out)["counts"]["inputs"] == 2


def test_a_build_with_rejects_exits_0_and_accounts_for_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / "good.txt")
    (raw / "empty.txt").write_bytes(b"")
    result = cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 articles in, 1 published, 1 rejected (empty 1)" in result.stdout
    assert "warning" not in result.stdout + result.stderr


def test_a_build_where_every_article_is_rejected_exits_0_with_a_warning(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(bytes(range(1, 32)) * 10)
    (raw / "feed.jsonl").write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    result = cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "4 articles in, 0 published, 4 rejected" in result.stdout
    assert "warning: every article was rejected" in result.stdout
    counts = assert_whole(tmp_path / "out")["counts"]
    assert (counts["inputs"], counts["published"], counts["rejected"]) == (4, 0, 4)
    rejects = (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["reason"] for line in rejects) == ["bad_json", "binary", "empty", "no_text"]


@pytest.mark.parametrize("patch, error", [
    ("import builder.publish as p\ndef boom(*a, **k): raise RuntimeError('a bug in publish')\np._save = boom",
     "RuntimeError: a bug in publish"),
    ("import builder.pipeline as p\nreal = p.STAGE_FUNCTIONS['attribute']\n"
     "def off(*a):\n    r = real(*a)\n    for q in r['quotes']: q['quote_end'] += 1\n    return r\n"
     "p.STAGE_FUNCTIONS['attribute'] = off", "ContractError"),
], ids=["publish-raises", "rows-break-the-contract"])
def test_a_build_where_the_code_fails_exits_1_and_keeps_out(folders, tmp_path, patch, error):
    _old, new, out = folders
    before = digests(out)
    result = cli("build", "--raw", str(new), "--out", str(out), "--workers", "1", "--quiet", code=patch)
    assert result.returncode == 1 and "Traceback" in result.stderr and error in result.stderr
    assert digests(out) == before
    assert not (tmp_path / ".out.building").exists()
