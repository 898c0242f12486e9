"""Rule lexicons kept as data in builder/resources/ (versioned JSON), loaded once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources as importlib_resources

from builder.text import fold_key


@cache
def load(name: str) -> dict:
    """Parsed builder/resources/<name>.json."""
    path = importlib_resources.files("builder") / "resources" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def versions() -> dict[str, str]:
    """Version tag of every rule lexicon, recorded in the manifest and the card."""
    return {name: load(name)["version"] for name in ("quote_marks", "boilerplate", "detect_rules", "cues", "speakers", "rules", "identities")}


@cache
def folded_set(name: str, *keys: str) -> frozenset[str]:
    """Folded forms of resources[name][keys...]['forms'] (or the list itself)."""
    node = load(name)
    for key in keys:
        node = node[key]
    forms = node["forms"] if isinstance(node, dict) else node
    return frozenset(fold_key(form) for form in forms)
