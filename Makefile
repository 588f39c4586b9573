# ffmot: everything a fresh Debian/Ubuntu machine needs, in order.
#   make run    set up if needed, then start ffmot
#   make test   set up if needed, then lint, type-check and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest system-deps clean

$(STAMP): pyproject.toml constraints.txt
	@bash tools/system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@touch $(STAMP)

system-deps:
	@bash tools/system-deps

run: $(STAMP)
	$(BIN)/ffmot $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check ffmot tests bench
	$(BIN)/ruff format --check ffmot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

# Benchmarks (docs/benchmarks.md): `make bench`, or `make bench BENCH_ARGS="--quick"`.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
