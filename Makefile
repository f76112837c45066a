# Two commands: `make serve` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp

.PHONY: serve test setup build validate test-deps lint typecheck bench release clean

serve: setup ## build the store from the repo's files and serve it on http://$(HOST):$(PORT)/
	sh scripts/install-jemalloc.sh
	$(BIN)/sdkg build
	$(BIN)/sdkg serve --host $(HOST) --port $(PORT)

test: setup test-deps lint typecheck ## lint, types, then the whole test suite (installs Java/OWL API, Chromium when root)
	$(BIN)/pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

test-deps:
	sh scripts/install-test-deps.sh

build: setup
	$(BIN)/sdkg build

validate: setup
	$(BIN)/sdkg validate

lint: setup
	$(BIN)/ruff check server tests bench tools/coding
	$(BIN)/ruff format --check server tests bench tools/coding

typecheck: setup
	$(BIN)/mypy server/sdkg

release: setup
	$(BIN)/sdkg release --out release

bench: setup
	sh scripts/install-jemalloc.sh
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf var release
