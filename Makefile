# Kordon: `make run` serves the gateway and console; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 1

.PHONY: install run test lint eval bench e2e-browser

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	$(VENV)/bin/uvicorn console.asgi:application --host 127.0.0.1 --port $(PORT) \
		--workers $(WORKERS) --no-access-log --lifespan off

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

eval: install
	$(PY) -m routing.detection.evaluation

bench: install
	$(PY) -m routing.bench.run
