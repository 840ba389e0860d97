# Two commands on a fresh machine: `make run` (the app) and `make test` (the test suite).
# Each creates .venv from requirements.txt (transitive versions fixed by constraints.txt) when
# it is missing or older than either file.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-slow lint browser-deps bench clean

$(BIN)/.installed: requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# Browser, load and fault-injection tests (minutes); CI runs them after `make test`.
test-slow: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m slow

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: $(BIN)/.installed
	$(BIN)/python -m recdemo.bench

clean:
	rm -rf $(VENV) .pytest_cache runs
