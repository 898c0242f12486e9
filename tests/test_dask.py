"""ENGINE=dask: the same per-article tasks on a Dask cluster give the same rows as the local engine.

Needs the optional extra (`pip install ".[dask]"`); skipped without it, except in CI (CI=true or
BUILDER_REQUIRE_DASK=1, which .ci/run sets after installing the extra), where a missing extra fails.
Every cluster start and teardown is bounded: the CLI build runs in a subprocess with a timeout
(its process group killed if it hangs), and the cluster started here closes with a timeout.
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

REQUIRED = os.environ.get("CI") == "true" or bool(os.environ.get("BUILDER_REQUIRE_DASK"))
if not REQUIRED:
    pytest.importorskip("distributed", reason='the dask extra is not installed (pip install -e ".[dask]")')
import distributed  # noqa: E402  (an ImportError here fails CI, as it must)

from builder.runner import RunConfig, build  # noqa: E402
from conftest import digests as all_digests  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "raw" / "000_7bb7ae16394dc573.txt"
START_TIMEOUT, CLOSE_TIMEOUT, BUILD_TIMEOUT = 60, 30, 300
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
       "BUILDER_DASK_START_TIMEOUT": str(START_TIMEOUT), "BUILDER_DASK_CLOSE_TIMEOUT": str(CLOSE_TIMEOUT)}


def digests(out: Path) -> dict[str, str]:
    """Every file but the manifest, whose config names the engine."""
    return all_digests(out, skip=("manifest.json",))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    """(RAW, its build by the local engine): enough articles for several tasks on two workers."""
    raw = tmp_path_factory.mktemp("dask") / "raw"
    body = "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[3:])
    for folder in ("a", "b/c"):
        (raw / folder).mkdir(parents=True)
        shutil.copy(SAMPLE, raw / folder / "article.txt")
    lines = [json.dumps({"id": f"j{n}", "text": body if n % 2 else "نص بلا اقتباس."}, ensure_ascii=False)
             for n in range(12)] + ["{not json"]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    local = raw.parent / "local"
    build(RunConfig(raw=raw, out=local, workers=1, quiet=True, chunk_size=2))
    return raw, local


def test_make_build_engine_dask_on_a_local_cluster_gives_the_local_rows(corpus):
    raw, local = corpus
    out = raw.parent / "dask"
    process = subprocess.Popen([sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(out),
                                "--workers", "2", "--engine", "dask", "--quiet"],
                               cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the cluster's workers too
        process.communicate()
        pytest.fail(f"the Dask build did not finish (start, run and teardown) within {BUILD_TIMEOUT} s")
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert "15 articles in, 14 published, 1 rejected" in stdout.decode()
    assert digests(out) == digests(local)


def test_engine_dask_with_a_scheduler_address(corpus, tmp_path):
    """DASK_SCHEDULER=tcp://host:port: the build connects to a running cluster (started here,
    with its workers as threads of this process, and closed with a timeout)."""
    raw, local = corpus
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    try:
        build(RunConfig(raw=raw, out=tmp_path / "out", workers=2, quiet=True, chunk_size=2, engine="dask",
                        scheduler=cluster.scheduler_address))
    finally:
        cluster.close(timeout=CLOSE_TIMEOUT)
    assert digests(tmp_path / "out") == digests(local)


def test_an_unreachable_scheduler_is_a_clear_error(corpus, tmp_path):
    raw, _local = corpus
    env = {**ENV, "DASK_SCHEDULER": "tcp://127.0.0.1:9", "BUILDER_DASK_START_TIMEOUT": "3"}
    result = subprocess.run([sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(tmp_path / "out"),
                             "--engine", "dask", "--quiet"], cwd=REPO, env=env, capture_output=True, timeout=120)
    assert result.returncode == 2 and "Dask scheduler at tcp://127.0.0.1:9" in result.stderr.decode()
    assert not (tmp_path / "out").exists()


def _pid_tainting_on(item):
    """(item, this process's pid, whether an article's budget cut code here): item "cut" leaves the
    process tainted as an article past its budget does (builder/budget.py); the others take a
    moment, so the tasks spread over the workers."""
    import time

    from builder import budget

    if item == "cut":
        budget._taint()
    else:
        time.sleep(0.2)
    return item, os.getpid(), budget.tainted()


def test_a_dask_worker_cut_by_an_article_budget_is_restarted():
    from builder.engines import dask as engine

    items = [0, "cut", *range(1, 25)]
    results = list(engine.ordered_map(_pid_tainting_on, items, workers=2))
    assert [item for item, _pid, _tainted in results] == items  # all, in order (a task lost to the restart runs again)
    (cut,) = [pid for item, pid, _tainted in results if item == "cut"]
    # The restart happens when the driver takes the cut task's result, before it submits more: the
    # tasks submitted after it never run in the cut process.
    submitted_after = 2 + engine.IN_FLIGHT_PER_THREAD * 2 - 1
    assert all(pid != cut and not tainted for _item, pid, tainted in results[submitted_after:])
    assert len({pid for _item, pid, _tainted in results}) == 3  # the two workers and the cut one's replacement
