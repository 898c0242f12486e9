"""Imported once by the forkserver before it forks the pool's workers (see builder.engines.local.pool_context).

Loading the stages and running one tiny article fills their lexicon and model caches here, so
every worker forks warm instead of spending its first half second on the same work. The runner,
whose task function every worker calls, is loaded here too for the same reason.
"""

import builder.runner  # noqa: F401
from builder.pipeline import extract_quotes

extract_quotes("وقال وزير الخارجية أحمد علي للصحفيين: «نحن مستعدون للحوار»، مضيفا أن الوفد سيصل غدا.")
