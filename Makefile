# `make build` and `make test` do all the set-up: they create .venv and install the project first.
# Paths given as RAW=, OUT=, GOLD= may be relative (to this folder) or absolute.

RAW ?= raw
OUT ?= out
WORKERS ?=
MIN_CONFIDENCE ?= 0
GOLD ?= ../shared/corpus/dev/gold
EVAL_RAW ?= ../shared/corpus/dev/articles
HUB_REPO ?=
PYTHON3 ?= python3

VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install, so the venv is rebuilt when pyproject.toml changes.
VENV_STAMP := $(VENV)/.installed.stamp
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# WORKERS empty: leave the flag out, and the builder uses every core.
WORKERS_FLAG := $(if $(strip $(WORKERS)),--workers $(WORKERS))
# `make eval RAW=<dir>` scores that folder; a plain `make eval` scores the dev corpus.
EVAL_RAW_DIR := $(if $(filter command line environment environment override,$(origin RAW)),$(RAW),$(EVAL_RAW))

.PHONY: .venv build ingest segment detect attribute publish test eval push require-hub-repo names bench clean

.venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

build: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder build --raw "$(RAW)" --out "$(OUT)" $(WORKERS_FLAG) --min-confidence $(MIN_CONFIDENCE)

ingest: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder ingest --raw "$(RAW)" --out "$(OUT)" $(WORKERS_FLAG)

segment detect attribute: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder $@ --out "$(OUT)" $(WORKERS_FLAG)

publish: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder publish --out "$(OUT)" --min-confidence $(MIN_CONFIDENCE)

test: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m pytest -q

eval: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder eval --raw "$(EVAL_RAW_DIR)" --gold "$(GOLD)" $(WORKERS_FLAG) --min-confidence $(MIN_CONFIDENCE)

push: require-hub-repo $(VENV_STAMP)
	$(PY) -m builder push --hub-repo "$(HUB_REPO)" --out "$(OUT)"

require-hub-repo:
	@test -n "$(HUB_REPO)" || { echo "make push: set HUB_REPO=owner/name, the dataset repository to upload $(OUT)/hub to" >&2; exit 2; }

names: $(VENV_STAMP)
	$(PY) -m builder.train_names

# TODO(issue 4): builder/bench.py (throughput against the I/O floor) is not written yet.
bench: $(VENV_STAMP)
	@if [ -f builder/bench.py ]; then $(OFFLINE) $(PY) -m builder.bench; \
	else echo "make bench: builder/bench.py does not exist yet" >&2; exit 2; fi

# The build's siblings of OUT: its work folder, the previous OUT kept during the swap, the lock.
OUT_SIBLINGS := $(foreach kind,building previous lock,$(dir $(patsubst %/,%,$(OUT))).$(notdir $(patsubst %/,%,$(OUT))).$(kind))

clean:
	rm -rf "$(OUT)" $(OUT_SIBLINGS) .pytest_cache *.egg-info
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
