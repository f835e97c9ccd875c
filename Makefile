# dvtkg: build, check and test the DVT guidance knowledge graph.
# `make` (or `make help`) lists the targets. CI calls make targets only.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

VENV    := .venv
PY      := $(VENV)/bin/python
DVTKG   := $(VENV)/bin/dvtkg
STAMP   := $(VENV)/.install-stamp
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` / `make test-fast` (2 = the cores here; PYTEST_WORKERS=0 runs in one process).
# --dist loadfile keeps a module on one worker, so its module fixtures (a server, the docs site) are built once;
# --no-loadscope-reorder hands modules out in collection order, which tests/conftest.py sorts longest first.
PYTEST_WORKERS ?= 2
PYTEST_XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)
BENCH_CASES ?= 200
SEED_CASE   := examples/cases/seed-massive-bilateral-dvt.json

# the build inputs: every ontology file, the catalog, the version, the build code; the
# directories too, so that removing a file also rebuilds
KB_SOURCES := $(shell find ontology -name '*.ttl' -o -type d 2>/dev/null) ontology/catalog-v001.xml VERSION \
              $(wildcard dvtkg/kb/*.py) dvtkg/paths.py
KB_OUTPUTS := build/dvtkg.ttl build/dvtkg.owl

.PHONY: help install java build validate qc pytest test test-fast demo bench differential docs chromium clean distclean lint typecheck

help: ## list the targets
	@echo "dvtkg make targets:"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-10s %s\n", $$1, $$2 }'

install: $(STAMP) ## create .venv (Python 3.11), install the pinned requirements.lock, then dvtkg itself (editable)

$(STAMP): pyproject.toml VERSION requirements.lock
	@py=$$(command -v python3.11 || true); \
	if [[ -z "$$py" ]] && command -v python3 >/dev/null \
	   && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then py=$$(command -v python3); fi; \
	if [[ -z "$$py" ]]; then \
	  echo "error: Python 3.11 is needed (python3.11, or a python3 that is 3.11)." >&2; \
	  echo "  On Debian/Ubuntu: apt-get install -y python3.11 python3.11-venv" >&2; exit 1; fi; \
	if [[ ! -x $(PY) ]] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	  echo "creating $(VENV) with $$py ($$("$$py" --version 2>&1))"; rm -rf $(VENV); "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

java: ## check that a Java runtime is there (HermiT, the reference reasoner, runs on it)
	@if command -v java >/dev/null 2>&1; then \
	  echo "java: $$(java -version 2>&1 | head -n 1)"; \
	else \
	  echo "error: java not found. HermiT (through owlready2) needs a Java runtime, 17 or newer." >&2; \
	  echo "  On Debian/Ubuntu: apt-get install -y default-jre-headless" >&2; exit 1; fi

build: java $(KB_OUTPUTS) ## merge ontology/ into build/dvtkg.ttl and build/dvtkg.owl (RDF/XML for owlready2), compile the fast classifier
	$(PY) -m dvtkg.fast
	$(PY) -m dvtkg.lean
	$(PY) -m dvtkg.service.orderknowledge

$(KB_OUTPUTS) &: $(STAMP) $(KB_SOURCES)
	$(PY) -m dvtkg.kb.build

generate: $(STAMP) ## regenerate the generated files: ontology/modules/criteria-table.ttl (ontology/templates/), then the case contract from ontology/modules/case.ttl
	$(PY) -m dvtkg.kb.templates
	$(PY) -m dvtkg.cases.generate

.PHONY: generate

validate: $(STAMP) ## SHACL gate: shapes/knowledge.ttl over the merged knowledge (dvtkg kb validate)
	$(DVTKG) kb validate

qc: $(STAMP) ## curation gate: every queries/qc/*.rq must return no rows (dvtkg kb qc)
	$(DVTKG) kb qc

pytest: $(STAMP) ## run the Python tests only, on PYTEST_WORKERS processes (PYTEST_ARGS=... to pass options)
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: $(STAMP) ## ruff over the Python code (rules in pyproject.toml; `$(VENV)/bin/ruff check --fix` sorts imports)
	$(VENV)/bin/ruff check

typecheck: $(STAMP) ## mypy over dvtkg/ and tests/ (settings in pyproject.toml)
	$(VENV)/bin/mypy

test: java lint typecheck build validate qc chromium pytest ## lint + typecheck + build + validate + qc + pytest (installs chromium first for the browser test)

# the quick loop: every test not marked slow (no HermiT runs, no browser, no server module, no differential gate)
test-fast: java build $(STAMP) ## build + every test not marked slow (pytest -m "not slow"), in well under 2 minutes
	$(PY) -m pytest $(PYTEST_XDIST) -m "not slow" $(PYTEST_ARGS)

demo: build validate $(STAMP) ## the main job: assess the seed case (massive bilateral DVT, phlegmasia on one side) and print the report
	$(DVTKG) assess $(SEED_CASE)

# `make differential N=10000`: the fast classifier against HermiT on N generated cases and the whole assessments
# (fast against reference) on SHEETS case sheets, on JOBS worker processes (one JVM each), no time limit.
# HermiT's answers are cached in build/differential/; those `make test` needs (its first 1,000 cases and 100
# sheets) are written to tests/fixtures/differential/hermit-<TBox digest>.jsonl.gz, to be committed.
# The reference engine's whole-assessment answers for those sheets (SHA-256 of each canonical JSON) go to
# tests/fixtures/differential/reference-<knowledge digest>.jsonl.gz, to be committed too (dvtkg.fast.wholejson).
N ?= 2000
JOBS ?= 2
SHEETS ?= 1000
differential: build $(STAMP) ## compare the fast engine with HermiT / the reference engine (make differential N=10000 JOBS=2)
	$(PY) -m dvtkg.fast.differential --cases $(N) --jobs $(JOBS) --sheets $(SHEETS) --answers 1000,100 --write-fixtures

bench: build $(STAMP) ## both engines: p50/p95 per stage, cold CLI, cases/s, batch, peak RSS -> build/bench.json
	$(PY) -m dvtkg.bench --cases $(BENCH_CASES)

# `make bench-cohort N=1000000`: generate N cases under build/bench-cohort/ and assess them on the local Dask cluster
.PHONY: bench-cohort
bench-cohort: build $(STAMP) ## a generated cohort of N cases on the local Dask cluster: wall time and cases/s
	$(PY) -m dvtkg.cohort.bench --cases $(N)

DOCS_OUT := build/docs

docs: build $(STAMP) ## generate the documentation site into build/docs/ (static HTML, relative links: open build/docs/index.html)
	$(DVTKG) docs build --out $(DOCS_OUT)

# Debian's chromium, for tests/test_docs_browser.py (headless, file:// pages). Installed with
# apt-get when /usr/bin/chromium is missing (about 115 MB, ~20 s here); CHROMIUM=/path uses another
# binary. Without root or sudo it only warns (the browser tests are then skipped), unless CI is set.
chromium: ## install Debian's chromium for the headless browser test when /usr/bin/chromium is missing
	@if [[ -n "$${CHROMIUM:-}" && -x "$${CHROMIUM:-}" ]]; then \
	  echo "chromium: $${CHROMIUM} (from CHROMIUM)"; \
	elif [[ -x /usr/bin/chromium ]]; then \
	  echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null | head -n 1)"; \
	else \
	  if [[ $$(id -u) -eq 0 ]]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	  else sudo="-"; fi; \
	  if [[ "$$sudo" == "-" ]] || ! command -v apt-get >/dev/null 2>&1; then \
	    msg="chromium is missing and cannot be installed here (needs apt-get as root): run \
	'apt-get update && apt-get install -y --no-install-recommends chromium' as root, or set CHROMIUM=/path/to/chromium"; \
	    if [[ -n "$${CI:-}" ]]; then echo "error: $$msg" >&2; exit 1; fi; \
	    echo "warning: $$msg; the browser tests will be skipped" >&2; exit 0; fi; \
	  echo "installing Debian's chromium (apt-get)"; \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi

# `make sparql-server [SPARQL_PORT=7878]`: an Oxigraph server (the oxigraph PyPI package) on 127.0.0.1,
# store under build/oxigraph (persists), knowledge base loaded; runs in the foreground, Ctrl-C stops it.
# The tests start their own server on a free port: nothing here is needed by `make test` (docs/sparql.md).
SPARQL_PORT ?= 7878
.PHONY: sparql-server
sparql-server: $(STAMP) ## start an Oxigraph SPARQL server on 127.0.0.1:SPARQL_PORT with the knowledge base loaded, print the query URL
	$(PY) -m dvtkg.sparql.server --location build/oxigraph --port $(SPARQL_PORT)

clean: ## remove build/ and Python caches (keeps .venv)
	rm -rf build dist .pytest_cache
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean ## also remove .venv
	rm -rf $(VENV) *.egg-info

# `make release VERSION=x.y.z [TAG=1]`: stamp a release with dvtkg/kb/release.py (docs/curating.md).
# VERSION and TAG are read only from the command line (never from the environment).
release_arg = $(if $(filter command line,$(origin $(1))),$($(1)),)
.PHONY: release
release: $(STAMP) ## stamp a release: make release VERSION=x.y.z (VERSION, ontology/dvt.ttl, CHANGELOG.md; TAG=1 also commits and tags vx.y.z)
	@if [[ -z "$(call release_arg,VERSION)" ]]; then \
	  echo "usage: make release VERSION=x.y.z [TAG=1]" >&2; exit 2; fi
	$(PY) -m dvtkg.kb.release $(call release_arg,VERSION) $(if $(filter 1 yes true,$(call release_arg,TAG)),--tag,)
	$(PY) -m dvtkg.kb.build

# `make lock`: re-pin requirements.lock (pip-tools) from the ranges and extras of pyproject.toml,
# on Python 3.11; run it after changing a dependency, and commit both files.
LOCK_EXTRAS := server,service,fhir,docs,test,cohort
PIP_TOOLS   := pip-tools==7.6.2
.PHONY: lock
lock: ## re-pin requirements.lock from pyproject.toml (pip-tools; every extra)
	@[[ -x $(PY) ]] || { echo "error: run make install first" >&2; exit 1; }
	$(PY) -m pip install --quiet '$(PIP_TOOLS)'
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
	  --extra $(LOCK_EXTRAS) --output-file requirements.lock pyproject.toml

# `make wheel`: a wheel with the ontology, shapes, queries, schemas and the prebuilt knowledge
# (setup.py copies them into dvtkg/_data); `pip install dist/dvtkg-*.whl` needs no clone.
.PHONY: wheel
wheel: build $(STAMP) ## build dist/dvtkg-<version>-py3-none-any.whl (with the prebuilt knowledge)
	$(PY) -m build --wheel --outdir dist .

# `make generate`: rewrite the files generated from the case module's dvt:caseKey table
# (shapes/case.ttl, schemas/case-sheet.schema.json, the key table of docs/case-format.md,
# dvtkg/cases/contract.py); tests/test_case_contract.py fails when one is stale.
# `make serve [CDS_PORT=8080] [CDS_ARGS='--workers 2']`: the CDS Hooks 2.0 service and the try-it page on
# 127.0.0.1 (development mode: JWTs not verified; docs/cds-hooks.md). Ctrl-C stops it.
CDS_PORT ?= 8080
CDS_ARGS ?=
.PHONY: serve bench-service
serve: build $(STAMP) ## start the CDS Hooks service and the try-it page on http://127.0.0.1:CDS_PORT/
	$(DVTKG) serve --port $(CDS_PORT) $(CDS_ARGS)

# `make bench-service [BENCH_ARGS='--requests 400 --concurrency 16 --workers 2 --engine fast|reference --order
#   | --hooks patient-view,order-select,order-sign']`
BENCH_ARGS ?=
bench-service: build $(STAMP) ## requests/s and p50/p95 latency of the CDS Hooks endpoint under concurrent load
	$(PY) -m dvtkg.service.bench $(BENCH_ARGS)
