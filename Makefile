# Switchyard developer commands. `make demo` and `make test` work on a fresh machine: both
# create the virtualenv and install the project first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo smoke test lint stack-up stack-down bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

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

## A long-lived stack for development: `eval "$$(make -s stack-up)"`, then `make stack-down`.
stack-up: install
	@$(PY) -m emulators up

stack-down: install
	@$(PY) -m emulators down

bench: install
	$(PY) -m emulators run -- sh -c "$(PY) -m benchmarks.local_stack && $(PY) -m benchmarks.pipeline"

clean: stack-down
	rm -rf $(VENV) .stack .pytest_cache .mypy_cache .ruff_cache
