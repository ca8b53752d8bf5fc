# Two commands on a fresh machine:  make publish USER=demo   and   make test
# Every target that needs the virtualenv depends on it, so nothing has to be installed by hand.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint render clean bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check publisher tests bench templates

# make render CARD=tests/fixtures/cards/k_saifullaah.json [TEMPLATE=classic] [OUT=README.md]
CARD ?= card.json
TEMPLATE ?= huggingtweets
OUT ?= -
render: install
	$(PY) -m publisher render $(CARD) --template $(TEMPLATE) -o $(OUT)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
