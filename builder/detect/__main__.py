"""`python -m builder.detect --cv` / `--write`: see builder.detect.model."""

from builder.detect.model import main

raise SystemExit(main())
