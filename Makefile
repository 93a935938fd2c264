# One entry point for developers and CI. Only a Python 3.11+ interpreter is needed:
# every target creates the virtual environment and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
# Optional dependencies to install: dev for developers and CI, xlsx for the Docker image.
EXTRAS ?= dev
BIN := $(VENV)/bin
# pytest workers: more than the cores, as most flow tests wait on the emulator, not the CPU.
PYTEST_WORKERS ?= 4
STAMP := $(VENV)/.installed

.PHONY: install run shell test lint typecheck pytest check-config clean bench bench-quick interop browsers screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# Against Telegram when TRYGG_BOT_TOKEN is set (environment or .env), else the local shell.
run: $(STAMP)
	$(BIN)/trygghetsbot start

shell: $(STAMP)
	$(BIN)/trygghetsbot shell

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's chromium for the browser tests (tests/browser.py; Playwright drives it, it never
# downloads a browser), and an emoji font so the buttons' emoji show in the docs' screenshots. As root it is installed with apt-get when missing; otherwise one line
# says so and the browser tests skip (under CI=true they fail instead, and so does this).
browsers:
	@if command -v chromium >/dev/null 2>&1 && dpkg-query -W fonts-noto-color-emoji >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null && \
		echo "installed chromium $$(dpkg-query -W -f='$${Version}' chromium)"; \
	else \
		echo "chromium is missing: as root run 'make browsers' (apt-get install chromium); the browser tests skip until then"; \
		[ -z "$$CI" ] || [ "$$CI" = false ]; \
	fi

pytest: $(STAMP) browsers
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

test: lint typecheck pytest

# The screenshots in docs/img that docs/kommunpolis.md and docs/admin.md show, taken by the
# browser test of issue 20's "Done when" (a local grey map, fixed data and dates).
screenshots: $(STAMP) browsers
	TRYGG_DOC_SCREENSHOTS=docs/img $(BIN)/pytest tests/test_web_done_when.py -q -p no:cacheprovider

# Benchmarks (docs/benchmarks.md): the full run takes about 20 minutes and fails on any
# missed target; to record it: make bench BENCH_ARGS="--out docs/benchmarks.md".
# bench-quick (CI) takes under two minutes and fails only on correctness.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

# The exported files and the Open311 API opened by LibreOffice, GDAL and an Open311 client
# (docs/interop.md). Not run by CI: as root it installs Debian packages (LibreOffice, GDAL,
# the sv_SE.UTF-8 locale) when missing. To record a run: make interop INTEROP_ARGS="--record
# docs/interop.md".
interop: $(STAMP)
	$(BIN)/python -m interop $(INTEROP_ARGS)

check-config: $(STAMP)
	$(BIN)/trygghetsbot check-config deploy/deployment.toml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
