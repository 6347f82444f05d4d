# make site: install kb into .venv, check the shipped knowledge base and build the site into site/.
# make test: install kb with its test tools into .venv, then lint, type-check and run the tests.
# make install: only the .venv (kb, MkDocs and the test tools), e.g. for .venv/bin/kb import.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)

.PHONY: install site serve offline test check lint schema clean browser node bench

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

# The preview rebuilds only the pages whose files changed (--dirty): kb rewrites exactly those,
# so an edited record shows in seconds rather than after a whole build. MkDocs warns that a
# dirty build may leave navigation stale, which strict mode would turn into an error, so the
# preview is not strict; `make site` is.
serve: $(STAMP)
	$(BIN)/kb generate
	$(BIN)/mkdocs serve --dirty --no-strict

check: $(STAMP)
	$(BIN)/kb check evidence

test: $(STAMP) lint browser node
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: install Debian's chromium, or the browser tests skip"; fi; }

# axe-core, which the accessibility tests inject into every page, at the version package-lock.json
# pins (npm ci installs exactly the lockfile).
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "npm is missing: install Node.js and npm, or the accessibility tests skip"; fi; }
	@command -v npm >/dev/null 2>&1 || exit 0; \
	npm ci --no-audit --no-fund --loglevel=error && touch $@

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
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
