"""Check that a change leaves the datasets byte for byte as they were (speed work must).

    python -m builder.same_output [--base REF] [RAW ...]

Builds each RAW (default: the train and dev articles of ../shared/corpus) twice, with the code of
git revision REF (default: main; exported with `git archive` into a temporary folder, so no
worktree or branch is touched) and with this checkout, one worker each, and compares the sha256
of every output file as the two manifests list them. Prints the files that differ and exits 1 if
any does, 0 if all are identical, 2 when there is nothing to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_RAWS = (CORPUS / "train" / "articles", CORPUS / "dev" / "articles")


def export(revision: str, dest: Path) -> None:
    """The files of revision, as git archive writes them, under dest."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", revision],
                             capture_output=True, check=False)
    if archive.returncode:
        raise SystemExit(f"same_output: git archive {revision} failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def build(code: Path, raw: Path, out: Path) -> dict[str, str]:
    """Build raw into out with the builder under code; the manifest's sha256 of every output file."""
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    command = [sys.executable, "-m", "builder", "build", "--raw", str(raw), "--out", str(out),
               "--workers", "1", "--quiet"]
    result = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"same_output: building {raw} with {code} failed:\n{result.stderr[-3000:]}")
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.same_output", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="the git revision to compare with (default: main)")
    parser.add_argument("raws", nargs="*", type=Path, help="RAW folders (default: ../shared/corpus/{train,dev}/articles)")
    args = parser.parse_args(argv)
    raws = [raw.resolve() for raw in (args.raws or DEFAULT_RAWS) if raw.is_dir()]
    if not raws:
        print("same_output: no RAW folder to build (../shared/corpus is absent?)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="builder-same-output-"))
    try:
        base = root / "base"
        export(args.base, base)
        differing = 0
        for index, raw in enumerate(raws):
            before = build(base, raw, root / f"out-base-{index}")
            after = build(REPO_ROOT, raw, root / f"out-here-{index}")
            changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
            differing += len(changed)
            print(f"{raw}: {len(after)} output files, " + (f"{len(changed)} differ from {args.base}:" if changed
                                                           else f"byte-identical to {args.base}"))
            for path in changed:
                print(f"  {path}")
        return 1 if differing else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
