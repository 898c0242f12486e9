"""Imported once by the forkserver before it forks the pool's workers (see builder.engines.local.pool_context).

Loading the stages and running one tiny article fills their lexicon and model caches here, so
every worker forks warm instead of spending its first half second on the same work; what is loaded
is then frozen out of the garbage collector's sight (builder.pipeline.settle). The runner, whose
task function every worker calls, is loaded here too for the same reason.
"""

import builder.runner  # noqa: F401
from builder.pipeline import settle

settle()
