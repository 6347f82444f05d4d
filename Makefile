# make site: install kb into .venv, check the shipped knowledge base and build the site into site/.
# make test: install kb with its test tools into .venv, then lint, type-check and run the tests.
# make install: only the .venv (kb, MkDocs and the test tools), e.g. for .venv/bin/kb import.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: install site serve offline test check lint schema clean browser bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[site,test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

site: $(STAMP)
	$(BIN)/kb build

offline: $(STAMP)
	$(BIN)/kb build --offline --site site-offline

serve: $(STAMP)
	$(BIN)/kb generate
	$(BIN)/mkdocs serve

check: $(STAMP)
	$(BIN)/kb check evidence

test: $(STAMP) lint browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: install Debian's chromium, or the browser tests skip"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check kb tests benchmarks
	$(BIN)/ruff format --check kb tests benchmarks
	$(BIN)/mypy kb

# Benchmarks on synthetic knowledge bases of 1,000 and 10,000 studies (several minutes).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

schema: $(STAMP)
	$(BIN)/kb schema

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
