"""The builder's error types, in one place.

A `BuildError` is the user's to fix (a missing RAW, a stage run out of order): the CLI prints its
message and exits 2. The others are the code's fault and must stop the build loudly, leaving the
previous OUT in place.
"""

from __future__ import annotations


class BuildError(Exception):
    """A configuration or usage error with a message that says how to fix it."""


class ContractError(AssertionError):
    """A quote row breaks the row contract (an offset that does not point at its string...)."""


class SchemaError(ValueError):
    """Rows do not fit the declared datasets Features; the message names the column."""
