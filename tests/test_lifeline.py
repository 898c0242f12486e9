"""Workers die with the build: a SIGKILLed build leaves no process behind (builder/lifeline.py),
and the next build resumes from the shards the killed one finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder import store
from builder.bench import generate_corpus

REPO = Path(__file__).resolve().parents[1]
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
OFFLINE.pop(store.KILL_AT_ENV, None)
GONE_WITHIN = 10.0  # seconds

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")

BUILD = """
import sys
from pathlib import Path
from builder.runner import RunConfig, build

if __name__ == "__main__":
    build(RunConfig(raw=Path(sys.argv[1]), out=Path(sys.argv[2]), workers=2, quiet=True, shard_size=20, chunk_size=2))
"""


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[1]), int(fields[3])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")  # a zombie holds no memory, only its pid


def _session(sid: int) -> set[int]:
    """The live processes of a session."""
    pids = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
    return {pid for pid in pids if (stat := _stat(pid)) and stat[2] == sid and _alive(pid)}


def _descendants(root: int) -> set[int]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))):
            tree.setdefault(stat[1], []).append(int(entry))
    found, stack = set(), [root]
    while stack:
        for child in tree.get(stack.pop(), ()):
            found.add(child)
            stack.append(child)
    return found


def _wait_for(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_a_sigkilled_build_leaves_no_process_and_the_next_build_resumes(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    articles, _size = generate_corpus(raw, 1_500_000)
    work = tmp_path / ".out.building"
    command = [sys.executable, "-c", BUILD, str(raw), str(out)]
    # Its own session, so every process the build starts can be found by its session id.
    build = subprocess.Popen(command, cwd=REPO, env=OFFLINE, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Killed once the workers run and a shard is finished (for the next build to keep).
        started = _wait_for(lambda: build.poll() is None and len(_descendants(build.pid)) >= 3
                            and store.finished_shards(work, store.STAGES) >= 1, 240)
        assert started and build.poll() is None, f"the build ended before it could be killed: {build.stderr.read()}"
        processes = _descendants(build.pid) | _session(build.pid)
        os.kill(build.pid, signal.SIGKILL)
        assert build.wait(30) == -signal.SIGKILL
        left = lambda: {pid for pid in processes | _session(build.pid) if _alive(pid)}  # noqa: E731
        assert _wait_for(lambda: not left(), GONE_WITHIN, 0.1), \
            f"still alive {GONE_WITHIN:.0f} s after the build was killed: {left()}"
    finally:
        for pid in _session(build.pid):  # never leave a process behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
        build.stderr.close()

    finished = store.finished_shards(work, store.STAGES)
    first_shard = store.shard_path(work, "attribute", 0).stat().st_ino
    resumed = subprocess.run(command, cwd=REPO, env=OFFLINE, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert finished >= 1 and store.shard_path(out, "attribute", 0).stat().st_ino == first_shard  # kept, not redone
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["inputs"] == articles


ORPHAN = """
import multiprocessing, os, sys, time
from builder import lifeline

def child(use_prctl):
    if not use_prctl:  # the watch thread alone, as on a system without prctl
        lifeline.set_parent_death_signal = lambda *args: False
    lifeline.die_with_parent()
    time.sleep(600)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(sys.argv[1] == "prctl",))
    process.start()
    print(process.pid, flush=True)
    time.sleep(1)  # the child armed its lifeline
    os.kill(os.getpid(), 9)
"""


@pytest.mark.parametrize("mechanism", ["prctl", "watch"])
def test_a_worker_dies_with_its_parent(mechanism):
    result = subprocess.run([sys.executable, "-c", ORPHAN, mechanism], cwd=REPO, env=OFFLINE, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == -signal.SIGKILL, result.stderr
    child = int(result.stdout.split()[0])
    try:
        assert _wait_for(lambda: not _alive(child), GONE_WITHIN, 0.1)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
