# ffmot: everything a fresh Debian/Ubuntu machine needs, in order.
#   make run         set up ffmot's runtime if needed (no test tools), then start ffmot
#   make test        set up the test environment if needed, then lint, type-check and run the
#                    whole suite
#   make dist        the standalone Linux bundle, dist/ffmot/ (packaging/ffmot.spec)
#   make dist-check  run that bundle as a new user with an empty home, check it and measure it
#   make lock        regenerate the hashed per-platform locks in requirements/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
RUN_STAMP  := $(VENV)/.installed-run
STAMP      := $(VENV)/.installed
DIST_STAMP := $(VENV)/.installed-dist

.PHONY: run test lint typecheck pytest system-deps clean dist dist-check lock

# The runtime only: what a practitioner's machine runs (PostgreSQL's driver is the postgres
# extra, for shared databases).
$(RUN_STAMP): pyproject.toml constraints.txt
	@bash tools/system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	@touch $@

# The tests' environment: the runtime, the postgres extra and the test tools.
$(STAMP): pyproject.toml constraints.txt
	@bash tools/system-deps --test
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e ".[test]"
	@touch $@

$(DIST_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PIP) -e ".[test,dist]"
	@touch $@

system-deps:
	@bash tools/system-deps

run: $(RUN_STAMP)
	$(BIN)/ffmot $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check ffmot tests bench
	$(BIN)/ruff format --check ffmot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Two worker processes (pytest-xdist), each test file kept whole in one of them: the suite
# takes about half the time on a 2-core machine. Each worker has its own PostgreSQL server
# and displays; the hostile-input report adds up both workers' ledgers (tests/conftest.py).
pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

# Benchmarks (docs/benchmarks.md): `make bench`, or `make bench BENCH_ARGS="--quick"`.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/run $(BENCH_ARGS)

# The standalone bundle: rebuilt when the spec, the code, the norms or the resources change.
DIST_EXE := dist/ffmot/ffmot
DIST_SRC := packaging/ffmot.spec packaging/ffmot_main.py \
	$(shell find ffmot norms resources -type f ! -name '*.pyc' 2>/dev/null)
$(DIST_EXE): $(DIST_STAMP) $(DIST_SRC)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/ffmot.spec
	@touch $@
	@du -sh dist/ffmot

dist: $(DIST_EXE)

dist-check: $(DIST_EXE) $(STAMP)
	$(BIN)/python tools/dist-check --json out/dist-check.json

# Hashed locks of the runtime and the postgres extra (what the bundles carry), one per
# platform, at constraints.txt's versions; tests/packaging/test_locks.py holds linux.txt to them.
# Linux is manylinux_2_34, not uv's x86_64-unknown-linux-gnu (manylinux_2_28): PySide6 6.11.3
# has no wheel for a glibc older than 2.34. macOS 13 is the oldest its wheel supports.
LOCK_PLATFORMS := linux:x86_64-manylinux_2_34 windows:x86_64-pc-windows-msvc \
	macos:aarch64-apple-darwin
lock: $(DIST_STAMP)
	@mkdir -p requirements
	@set -e; for p in $(LOCK_PLATFORMS); do \
		echo "requirements/$${p%%:*}.txt"; \
		MACOSX_DEPLOYMENT_TARGET=13.0 $(BIN)/uv pip compile pyproject.toml --extra postgres -c constraints.txt --quiet \
			--generate-hashes --python-version 3.11 --python-platform $${p#*:} \
			--custom-compile-command "make lock" -o requirements/$${p%%:*}.txt; \
	done

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
