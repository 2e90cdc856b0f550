# gongwen on a fresh Debian 12 machine: `make run` (install, ingest samples/, serve) and `make test`.
# Everything Python goes into .venv inside the repository; system packages come from apt when we are
# root (or have password-less sudo), otherwise the missing ones are listed and the build goes on.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: OCR and PDF rendering for the product; the browser, qpdf and wrk (load generator of
# the benchmarks) only for the tests.
APT_RUN := python3 python3-venv tesseract-ocr tesseract-ocr-chi-sim poppler-utils fonts-noto-cjk
APT_TEST := $(APT_RUN) chromium qpdf wrk

.PHONY: install install-test apt-run apt-test run test lint samples screenshots bench-small bench clean-venv

install: apt-run $(VENV)/.installed-run

install-test: apt-test $(VENV)/.installed-test

# Installs only what is missing, so a second run makes no network calls.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "note: not a Debian system; please install the equivalents of: $$missing"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "note: run as root (or with sudo) to install: $$missing"; exit 0; fi; \
	echo "apt: installing $$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null
endef

apt-run:
	$(call apt_install,$(APT_RUN))

apt-test:
	$(call apt_install,$(APT_TEST))

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "gongwen needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q --disable-pip-version-check -e ".[test]"
	@touch $@ $(VENV)/.installed-run

# Every bundled sample must ingest: a failure here is a bug to see, not to serve around.
run: install
	$(BIN)/gongwen ingest samples/
	@echo "gongwen: open http://$(HOST):$(PORT)/ and search 陶瓷 (Ctrl-C stops the server)"
	$(BIN)/gongwen serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .

# Rewrites samples/*.pdf from samples/specs.toml (reportlab comes with the test extras).
samples: install-test
	$(BIN)/python samples/make_samples.py

# Rewrites docs/screenshots/*.png (the README's pictures) from the browser tests.
screenshots: install-test
	GONGWEN_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q -m browser tests/test_browser.py

clean-venv:
	rm -rf $(VENV)

# Benchmarks (see BENCHMARKS.md). bench-small: a few hundred documents, under 2 minutes each script;
# bench: 400 PDFs for ingest and 20k documents for queries (corpora built once under /work/benchdata).
bench-small: install-test
	$(BIN)/python bench/ingest_bench.py --small
	$(BIN)/python bench/query_bench.py --small

bench: install-test
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/query_bench.py --n 20000
