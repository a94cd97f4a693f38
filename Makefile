VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test lint bench serve clean chromium

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(VENV)/bin/opsgraph demo

serve: install
	$(VENV)/bin/opsgraph serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The browser test drives Debian's Chromium (never a downloaded browser build).
chromium:
	test -x /usr/bin/chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

test: lint chromium
	$(VENV)/bin/pytest

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) .opsgraph .pytest_cache .mypy_cache .ruff_cache
