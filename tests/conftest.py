"""What the test modules share: the paths, the offline environment, one way to build, one
`digests`, and the sample build, made once per session.

Test modules import the helpers (`from conftest import digests, run_build`); pytest puts this
folder on sys.path. The fixtures (`sample_out`, `sample_copy`) are found by name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_RAW = REPO / "raw"
SAMPLE_ID = "000_7bb7ae16394dc573"
SAMPLE = SAMPLE_RAW / f"{SAMPLE_ID}.txt"
# The quotes of the sample article: the ten of test_golden.SEED_QUOTES, one case each, in order.
SAMPLE_QUOTE_COUNT = 10
SHARED = REPO.parent / "shared"
DEV = SHARED / "corpus" / "dev"
TRAIN = SHARED / "corpus" / "train"
needs_dev_corpus = pytest.mark.skipif(not (DEV / "articles").is_dir(), reason="../shared/corpus/dev is absent")
# The environment of a build run as a command: offline, and without the test hook that kills one.
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
OFFLINE.pop("BUILDER_KILL_AT", None)


def run_build(raw: Path, out: Path, **options):
    """A build in this process (WORKERS=1 unless given), quiet; its Summary."""
    from builder.runner import RunConfig, build

    return build(RunConfig(raw=raw, out=out, quiet=True, **{"workers": 1, **options}))


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m builder ARGS` from the repository, offline, its output captured."""
    return subprocess.run([sys.executable, "-m", "builder", *args], input=stdin, capture_output=True,
                          env=env or OFFLINE, cwd=REPO, timeout=timeout)


def digests(out: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under out, by relative path, but the files named in skip."""
    return {path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out.rglob("*")) if path.is_file() and path.name not in skip}


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """raw/ built once for the whole session (WORKERS=1); read it, never change it."""
    out = tmp_path_factory.mktemp("sample") / "out"
    run_build(SAMPLE_RAW, out)
    return out


@pytest.fixture
def sample_copy(sample_out, tmp_path) -> Path:
    """A private copy of the sample build, for commands that rewrite it."""
    return Path(shutil.copytree(sample_out, tmp_path / "out"))
