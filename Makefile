# `make build` and `make test` do all the set-up: they create .venv and install the project first.
# Paths given as RAW=, OUT=, GOLD= may be relative (to this folder) or absolute.

RAW ?= raw
OUT ?= out
WORKERS ?=
MIN_CONFIDENCE ?= 0
# Seconds one article may take in the per-article stages before it is rejected (`timeout`); 0: no limit.
ARTICLE_TIMEOUT ?= 60
# Article pages in OUT/report (the first N articles by id); the rest are linked through the hub parquet.
REPORT_ARTICLES ?= 1000
# DEDUP=1: one row per repeated quote (the same quote, folded, for the same speaker, in several
# articles), the row of its earliest article; the copies are left out of `quotes`.
DEDUP ?= 0
CORPUS ?= ../shared/corpus
GOLD ?= $(CORPUS)/dev/gold
HUB_REPO ?=
PYTHON3 ?= python3
# Where the per-article stages run: local (processes on this machine) or dask (a LocalCluster of
# WORKERS processes, or the cluster at DASK_SCHEDULER=tcp://host:port; installs the dask extra).
ENGINE ?= local
# The id and text columns of .jsonl, .jsonl.gz, parquet and save_to_disk inputs.
ID_COLUMN ?= id
TEXT_COLUMN ?= text
# `make bench BENCH_ARGS="--mb 10 --big-mb 40"` for a quicker run; see python -m builder.bench --help.
BENCH_ARGS ?=
# `make bench-real BENCH_REAL_ARGS="--raw DIR --profile 0"`; see python -m builder.bench_real --help.
BENCH_REAL_ARGS ?=

VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install, so the venv is rebuilt when pyproject.toml changes.
VENV_STAMP := $(VENV)/.installed.stamp
DASK_STAMP := $(VENV)/.dask.stamp
ENGINE_STAMP := $(if $(filter dask,$(ENGINE)),$(DASK_STAMP))
ENGINE_FLAG := --engine $(ENGINE) --article-timeout $(ARTICLE_TIMEOUT)
COLUMN_FLAGS := --id-column "$(ID_COLUMN)" --text-column "$(TEXT_COLUMN)"
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
DEDUP_FLAG := $(if $(filter 1,$(DEDUP)),--dedup,$(if $(filter 0,$(DEDUP)),,$(error DEDUP must be 0 or 1 (got "$(DEDUP)"))))
# WORKERS empty: leave the flag out, and the builder uses every core.
WORKERS_FLAG := $(if $(strip $(WORKERS)),--workers $(WORKERS))
# `make eval RAW=<dir> GOLD=<dir>` scores that folder; a plain `make eval` scores train/ and dev/ apart.
EVAL_GIVEN := $(filter command line environment environment override,$(origin RAW))

.PHONY: floors snapshot .venv venv-dask build ingest segment detect attribute publish report test eval train cv identity push require-hub-repo names bench bench-real same-output clean

.venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# The optional dask extra (ENGINE=dask, tests/test_dask.py).
venv-dask: $(DASK_STAMP)

$(DASK_STAMP): $(VENV_STAMP)
	$(PY) -m pip install --quiet -e ".[test,dask]"
	touch $@

build: $(VENV_STAMP) $(ENGINE_STAMP)
	$(OFFLINE) $(PY) -m builder build --raw "$(RAW)" --out "$(OUT)" $(WORKERS_FLAG) $(ENGINE_FLAG) $(COLUMN_FLAGS) --min-confidence $(MIN_CONFIDENCE) --report-articles $(REPORT_ARTICLES) $(DEDUP_FLAG)

ingest: $(VENV_STAMP) $(ENGINE_STAMP)
	$(OFFLINE) $(PY) -m builder ingest --raw "$(RAW)" --out "$(OUT)" $(WORKERS_FLAG) $(ENGINE_FLAG) $(COLUMN_FLAGS)

segment detect attribute: $(VENV_STAMP) $(ENGINE_STAMP)
	$(OFFLINE) $(PY) -m builder $@ --out "$(OUT)" $(WORKERS_FLAG) $(ENGINE_FLAG)

publish: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder publish --out "$(OUT)" --min-confidence $(MIN_CONFIDENCE) --report-articles $(REPORT_ARTICLES) $(DEDUP_FLAG)

# The review site is written by publish (so by build too); this reruns publish alone, e.g. with
# another REPORT_ARTICLES, and says where the site is.
report: publish
	@echo "open $(abspath $(OUT))/report/index.html in a browser"

test: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m pytest -q

eval: $(VENV_STAMP)
ifneq ($(EVAL_GIVEN),)
	$(OFFLINE) $(PY) -m builder eval --raw "$(RAW)" --gold "$(GOLD)" $(WORKERS_FLAG) --min-confidence $(MIN_CONFIDENCE)
else
	@echo "== train/ (the shipped models were fitted on it: an in-sample figure)"
	$(OFFLINE) $(PY) -m builder eval --raw "$(CORPUS)/train/articles" --gold "$(CORPUS)/train/gold" $(WORKERS_FLAG) --min-confidence $(MIN_CONFIDENCE)
	@echo "== dev/ (never fitted on)"
	$(OFFLINE) $(PY) -m builder eval --raw "$(CORPUS)/dev/articles" --gold "$(CORPUS)/dev/gold" $(WORKERS_FLAG) --min-confidence $(MIN_CONFIDENCE)
endif

# Fit the shipped models (builder/resources/models/) on $(CORPUS)/train: deterministic, a few minutes.
train: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder.train --corpus "$(CORPUS)"

# Cross-validation by outlet over train/ + dev/ (five folds), calibration, dev fitted on train/;
# writes the figures the test suite's quality floors read (tests/cv_figures.json).
cv: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder.cv --corpus "$(CORPUS)" --record

# The quality floors of the test suite (tests/quality_floors.json, entry "dev"): the dev corpus's
# detection F1, speaker accuracy and end-to-end F1 as they are now. Run it, on purpose, when a
# change moves them (the suite fails below the recorded figures), and commit the file.
floors: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder eval --raw "$(CORPUS)/dev/articles" --gold "$(CORPUS)/dev/gold" $(WORKERS_FLAG) --record-floors tests/quality_floors.json --floors-name dev
	$(OFFLINE) UPDATE_GOLDEN=1 $(PY) -m pytest -q -s tests/test_golden.py -k recorded_figures

# The golden snapshots of whole articles (tests/data/jawharafm/expected/): every row field, and
# the figures of the Jawhara FM articles (tests/quality_floors.json, "jawharafm"). Run it, on
# purpose, when a change alters rows (the suite fails on any difference), review the diff it
# prints, and commit the files.
snapshot: $(VENV_STAMP)
	$(OFFLINE) UPDATE_GOLDEN=1 $(PY) -m pytest -q -s tests/test_golden.py -k "snapshot or recorded_figures"

# Speaker identities of a build of the real corpus against the hand-labelled sample
# (tests/data/identity_sample.tsv): pairwise merge precision and recall, generic strings kept in
# their article, the 30 most quoted identities. Build first:
#   make build RAW=../shared/corpus/real OUT=/tmp/real && make identity OUT=/tmp/real
identity: $(VENV_STAMP)
	$(PY) -m builder.identity_eval --out "$(OUT)"

push: require-hub-repo $(VENV_STAMP)
	$(PY) -m builder push --hub-repo "$(HUB_REPO)" --out "$(OUT)"

require-hub-repo:
	@test -n "$(HUB_REPO)" || { echo "make push: set HUB_REPO=owner/name, the dataset repository to upload $(OUT)/hub to" >&2; exit 2; }

names: $(VENV_STAMP)
	$(PY) -m builder.train_names

# Throughput of `make build` against the I/O floor, peak memory at two corpus sizes, speedup of 2
# workers over 1, and where the time goes; on articles generated into a temporary folder.
bench: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder.bench $(BENCH_ARGS)

# The same figures on the real corpus (../shared/corpus/real, skipped when absent): MB/s, articles/s,
# the ratio to the floor over the same files, peak RSS, and the per-stage profile.
bench-real: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder.bench_real $(BENCH_REAL_ARGS)

# Speed work must not change a byte: build train/ and dev/ with the code of BASE (a git revision)
# and with this checkout, and compare every output file's sha256 (exit 1 if one differs).
BASE ?= main
same-output: $(VENV_STAMP)
	$(OFFLINE) $(PY) -m builder.same_output --base "$(BASE)"

# The build's siblings of OUT: its work folder, the previous OUT kept during the swap, the lock.
OUT_SIBLINGS := $(foreach kind,building previous lock,$(dir $(patsubst %/,%,$(OUT))).$(notdir $(patsubst %/,%,$(OUT))).$(kind))

clean:
	rm -rf "$(OUT)" $(OUT_SIBLINGS) .pytest_cache *.egg-info
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
