"""Imported first by the pool's forkserver (builder.engines.local.pool_context): the forkserver
dies with the build that started it (builder.lifeline). Single-threaded, so no watch thread."""

from builder.lifeline import die_with_parent

die_with_parent(watch=False)
