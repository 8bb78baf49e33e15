PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench lint clean

$(BIN)/makker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/makker

run: $(BIN)/makker
	$(BIN)/makker demo-up
	$(BIN)/makker serve --port $(PORT)

# Two pytest-xdist workers, each on its own fresh database (tests/app/conftest.py).
test: $(BIN)/makker
	$(BIN)/pytest -q -n 2

bench: $(BIN)/makker
	$(BIN)/pytest -q -m benchmark -s tests/benchmarks

lint: $(BIN)/makker
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) makker.db
