PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The desk's npm assets: Det Fælles Designsystem (served under /static/dkfds) and axe-core (the
# browser tests' accessibility check). Installed from the registry, never committed.
ASSETS := .build/npm
NPM_PACKAGES := dkfds@11 axe-core@4

.PHONY: run test bench lint clean messages screenshots

$(BIN)/makker: pyproject.toml | $(ASSETS)/.installed
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m matching._warmup  # compile the solver's kernels once (numba's disk cache)
	touch $(BIN)/makker

# Without npm the desk still works, unstyled, and the browser tests' axe check says it is missing.
$(ASSETS)/.installed:
	@mkdir -p $(ASSETS)
	@if command -v npm >/dev/null 2>&1 && npm install --no-save --no-audit --no-fund --silent \
		--prefix $(ASSETS) $(NPM_PACKAGES); then touch $@; \
	else echo "npm install of $(NPM_PACKAGES) failed: the desk runs without its styles"; fi

run: $(BIN)/makker | $(ASSETS)/.installed
	$(BIN)/makker demo-up
	$(BIN)/makker serve --port $(PORT)

# Two pytest-xdist workers, each on its own fresh database (tests/app/conftest.py).
# The browser journeys run when /usr/bin/chromium exists; otherwise they are skipped, saying so.
test: $(BIN)/makker | $(ASSETS)/.installed
	@test -x /usr/bin/chromium || echo "Chromium is not installed: the browser tests are SKIPPED (apt-get install chromium)"
	$(BIN)/pytest -q -n 2 -rs

# The desk's main pages rendered by Chromium into screenshots/ (gitignored), on a fresh demo.
screenshots: $(BIN)/makker | $(ASSETS)/.installed
	$(BIN)/python -m tests.screenshots

bench: $(BIN)/makker
	$(BIN)/pytest -q -m benchmark -s tests/benchmarks

lint: $(BIN)/makker
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-extract the desk's texts and merge them into the da and en catalogues (app/locale).
messages: $(BIN)/makker
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -o .build/messages.pot .
	$(BIN)/pybabel update -i .build/messages.pot -d app/locale --no-fuzzy-matching

clean:
	rm -rf $(VENV) makker.db .build screenshots
