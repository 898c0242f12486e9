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


# The rule lexicons, and the files of the name recogniser (builder/resources/ner); the learned
# models (builder/resources/models, builder.learning) say themselves which one is missing.
LEXICONS = ("quote_marks", "boilerplate", "detect_rules", "cues", "speakers", "rules", "identities")
NER_FILES = ("persons.crfsuite", "name_tokens.txt", "common_words.txt")


def missing() -> list[str]:
    """The paths of the resource files the stages need that are not there (none in a sound install)."""
    folder = importlib_resources.files("builder") / "resources"
    paths = [folder / f"{name}.json" for name in LEXICONS] + [folder / "ner" / name for name in NER_FILES]
    return [str(path) for path in paths if not path.is_file()]


def versions() -> dict[str, str]:
    """Version tag of every rule lexicon, recorded in the manifest and the card."""
    return {name: load(name)["version"] for name in LEXICONS}


@cache
def folded_set(name: str, *keys: str) -> frozenset[str]:
    """Folded forms of resources[name][keys...]['forms'] (or the list itself)."""
    node = load(name)
    for key in keys:
        node = node[key]
    forms = node["forms"] if isinstance(node, dict) else node
    return frozenset(fold_key(form) for form in forms)
