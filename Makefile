# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv on first use (only Python 3.11+ is needed on the machine).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,sandbox]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/vendorsync demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadgroup

clean:
	rm -rf data dbt_project/target dbt_project/logs
