# The product's front door: `make demo` makes the demo board packs, `make test` runs the tests.
# Both set everything up on a fresh Debian/Ubuntu machine with Python 3.11+.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint bench system-deps install clean data bytecode

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The package's bytecode, written once: the environment may set PYTHONDONTWRITEBYTECODE, and
# then every notebook kernel and portfolio worker would compile reportlib again (~0.5 s each).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q reportlib

# Chromium prints the PDF and poppler's pdftotext/pdftoppm check it. Installed with apt-get
# when missing and we are allowed to (root, or passwordless sudo); otherwise we say how.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
	  || [ -n "$${REPORTLIB_CHROMIUM:-}" ] || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else \
	    echo "Missing system packages:$$missing. Install them with: sudo apt-get install -y$$missing"; \
	    echo "(or point REPORTLIB_CHROMIUM at a Chromium/Chrome binary)"; exit 1; fi; \
	  echo "Installing$$missing with apt-get"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing fonts-dejavu-core >/dev/null; \
	fi
	@# Debian's chromium-headless-shell prints the same pages for about a third of chromium's CPU;
	@# the pack prefers it when present. Optional: where apt has no such package (Ubuntu), the
	@# pack prints with the browser above.
	@if ! command -v chromium-headless-shell >/dev/null && [ -z "$${REPORTLIB_CHROMIUM:-}" ] \
	  && command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  echo "Installing chromium-headless-shell with apt-get (optional: it prints the packs faster)"; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell; } >/dev/null 2>&1 \
	  || echo "chromium-headless-shell is not available here: the packs print with chromium"; \
	fi

# Regenerates the demo companies' input files from the seeded generator (they are committed).
data: $(STAMP)
	$(BIN)/reportlib demo --data-only --data-dir data

demo: bytecode system-deps
	$(BIN)/reportlib demo --data-dir data --out reports

# ruff's rules are in pyproject.toml ([tool.ruff]); `make test` lints first.
lint: $(STAMP)
	$(BIN)/ruff check reportlib tests benchmarks
	$(BIN)/ruff format --check reportlib tests benchmarks

test: lint bytecode system-deps
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: bytecode system-deps
	$(BIN)/python -m benchmarks

clean:
	rm -rf reports .pytest_cache .hypothesis
