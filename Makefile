PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/spm.duckdb

.PHONY: run test lint format demo bench audit clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "needs $(PY) (or: make PY=python3 ...)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

$(DB): | $(VENV)/.runtime
	$(BIN)/python -m spm demo --db $(DB)

run: $(VENV)/.runtime $(DB)
	$(BIN)/python -m spm serve --db $(DB)

demo: $(VENV)/.runtime
	$(BIN)/python -m spm demo --db $(DB)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(VENV)/.dev lint
	$(BIN)/python -m pytest -n 2 --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

bench: $(VENV)/.runtime
	$(BIN)/python -m spm bench

# Needs network access to a vulnerability database; --strict makes "could not check" a failure.
audit: $(VENV)/.dev
	$(BIN)/pip-audit --strict --progress-spinner off

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
