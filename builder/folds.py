"""Cross-validation folds by outlet: every article of an outlet lands in the same fold.

A model judged on articles of outlets it was fitted on learns each outlet's house style (its marks,
its datelines, its favourite cues); sealed articles come from outlets too, but not these articles,
so folds keep outlets whole. Outlets are dealt largest first to the fold with the fewest gold quotes,
ties to the lowest fold: the folds depend only on the corpus.
"""

from __future__ import annotations

from collections import defaultdict

from builder.annotated import Annotated

FOLDS = 5


def outlet_folds(items: list[Annotated], k: int = FOLDS) -> list[list[Annotated]]:
    """k lists of articles, each holding whole outlets, balanced by gold quote count."""
    by_outlet: dict[str, list[Annotated]] = defaultdict(list)
    for item in items:
        by_outlet[item.outlet].append(item)
    sizes = {outlet: sum(len(item.gold) for item in group) for outlet, group in by_outlet.items()}
    folds: list[list[Annotated]] = [[] for _ in range(k)]
    load = [0] * k
    for outlet in sorted(by_outlet, key=lambda name: (-sizes[name], name)):
        target = min(range(k), key=lambda index: (load[index], index))
        folds[target].extend(by_outlet[outlet])
        load[target] += sizes[outlet]
    return [sorted(fold, key=lambda item: (item.split, item.article_id)) for fold in folds]
