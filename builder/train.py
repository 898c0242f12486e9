"""Fit the shipped models on the annotated training articles: `make train` (python -m builder.train).

The models are fitted on ../shared/corpus/train only, so that `make eval` on dev/ stays a check
nothing was tuned to, and written as JSON into builder/resources/models/. The same corpus gives the
same bytes on every run (a test holds the shipped files to that).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from builder import learning
from builder.annotated import CORPUS, Annotated, load_split

MODELS_DIR = Path(__file__).resolve().parent / "resources" / "models"


def _fitters():
    """(model name, fit function) in the order they must be fitted: a later model's training
    examples are computed with the earlier models in use (the speaker ranker ranks the quotes
    the detector keeps)."""
    from builder.attribute import canonical as canonical_model
    from builder.attribute import model as speaker_model

    fitters = []
    try:
        from builder.detect import model as detect_model
    except ImportError:  # the detector is still rule-based: nothing to fit
        detect_model = None
    if detect_model is not None:
        fitters.append(("detect", detect_model.fit))
    fitters.append((canonical_model.NAME, canonical_model.fit))
    fitters.append((speaker_model.NAME, speaker_model.fit))
    return fitters


def fit_all(items: list[Annotated], progress=None) -> dict[str, learning.LinearModel]:
    """Every model fitted on these articles, each with the ones before it in use."""
    fitted: dict[str, learning.LinearModel] = {}
    for name, fit in _fitters():
        started = time.perf_counter()
        for item in items:
            item.stages.clear()  # stage outputs depend on the models fitted so far
        with learning.using(fitted):
            fitted[name] = fit(items)
        if progress is not None:
            progress(f"{name}: fitted on {len(items)} articles in {time.perf_counter() - started:.1f} s")
    for item in items:
        item.stages.clear()
    return fitted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding train/ (default: ../shared/corpus)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where the model files go (default: the package's)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        items = load_split("train", args.corpus)
    except FileNotFoundError as error:
        print(f"make train: {error}", file=sys.stderr)
        return 2
    models = fit_all(items, progress=lambda line: print(line, file=sys.stderr))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        (args.out / f"{name}.json").write_text(model.to_json(), encoding="utf-8")
        print(f"wrote {args.out / f'{name}.json'} ({model.version}, {len(model.weights)} weights)")
    print(f"trained {len(models)} models on {len(items)} articles in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
