# Two commands on a fresh machine:  make publish USER=demo   and   make test
# Every target that needs the virtualenv depends on it, so nothing has to be installed by hand.

PYTHON ?= python3
SRC_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-fast test-random lint render clean bench conformance

# A misspelt variable (DRYRUN=1 for DRY_RUN=1) is an error before anything runs, never silently ignored.
KNOWN_VARIABLES := USER HUB HUB_ROOT HUB_PORT ARCHIVE BASE_MODEL PRIVATE TAG DRY_RUN CARD TEMPLATE OUT FILES PARALLEL \
	PYTHON VENV STAMP
COMMAND_LINE_VARIABLES := $(strip $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v))))
UNKNOWN_VARIABLES := $(filter-out $(KNOWN_VARIABLES),$(COMMAND_LINE_VARIABLES))
ifneq ($(UNKNOWN_VARIABLES),)
$(error unknown variable $(UNKNOWN_VARIABLES) on the command line (known: $(KNOWN_VARIABLES)))
endif

$(STAMP): pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# the distribution was called `publisher` before it got its own name: drop a stale editable install of it
	@$(PY) -m pip uninstall --quiet --yes publisher >/dev/null 2>&1 || true
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# One pytest worker per core (at most 4; more only repeat each worker's torch import), each with its own session
# hub; a test module stays on one worker (--dist loadfile) so its module fixtures are built once.
# `$(PY) -m pytest` alone runs the same suite in one process.
PARALLEL := -n auto --maxprocesses 4 --dist loadfile

test: install
	$(PY) -m pytest $(PARALLEL)

# The unit tests only: no server is used, no subprocess runs (tests marked slow are left out); under 30 s.
test-fast: install
	$(PY) -m pytest tests/unit -m "not slow"

# The same suite in a shuffled order (pytest-randomly prints its seed; -p randomly --randomly-seed=N repeats
# one order). `$(PY) -m pytest --reverse-order` runs it last to first.
test-random: install
	$(PY) -m pytest -p randomly $(PARALLEL)

# huggingface_hub's own test suite (sdist of the installed version) against a fresh local hub; failures allowed only
# for conformance/exclusions.toml. make conformance [FILES="test_hf_api.py ..."] (README "Hub conformance")
FILES ?=
conformance: install
	$(PY) conformance/run.py $(FILES)

lint: install
	$(VENV)/bin/ruff check publisher tests bench conformance templates setup.py
	$(VENV)/bin/ruff format --check publisher tests bench conformance setup.py
	$(VENV)/bin/mypy
	$(VENV)/bin/actionlint -no-color .github/workflows/*.yml

# make render CARD=tests/fixtures/cards/k_saifullaah.json [TEMPLATE=classic] [OUT=README.md]
CARD ?= card.json
TEMPLATE ?= huggingtweets
OUT ?= -
render: install
	$(PY) -m publisher render $(CARD) --template $(TEMPLATE) -o $(OUT)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# ------------------------------------------------------------------------------------------------- publish
# make publish USER=handle[-handle...] [HUB=auto|local|hf|URL] [ARCHIVE="a.zip b.zip"] [BASE_MODEL=...]
#              [PRIVATE=1] [TAG=name] [DRY_RUN=1]
# prepare -> train -> publish runs/<name>, each only when its output is missing: an existing trained run is
# never retrained and needs no archive (delete runs/<name> to start over). USER=demo builds a synthetic archive
# and a tiny model. `make train USER=...` stops before the publish.
# USER is also the login name in the environment, so only a USER given on the command line counts. It is
# checked and normalised once, with prepare's handle rule, by a bare $(PYTHON) (the venv may not exist yet):
# @Demo -> demo, bob-alice -> alice-bob (the run and repo name); anything else is an error naming the problem.
.PHONY: publish train hub
HUB ?= auto
HUB_ROOT ?= .hub
HUB_PORT ?= 8777
PRIVATE ?=
TAG ?=
DRY_RUN ?=
PUBLISH_USAGE := usage: make publish USER=handle[-handle...] [HUB=auto|local|hf|URL] [ARCHIVE=...] [BASE_MODEL=...] [PRIVATE=1] [TAG=name] [DRY_RUN=1]
_on = $(filter-out 0 no false off,$(1))
# $(call _unless_exists,file,prerequisites): a step's inputs are only asked for while its output is missing
_unless_exists = $(if $(wildcard $(1)),,$(2))

ifeq ($(origin USER),command line)
NAME := $(shell PYTHONPATH='$(SRC_DIR)' $(PYTHON) -m publisher.data.make_user '$(subst ','\'',$(USER))' 2>&1)
ifneq ($(.SHELLSTATUS),0)
$(error $(or $(NAME),cannot run $(PYTHON) to check USER))
endif
ifneq ($(NAME),$(USER))
$(info USER=$(USER) is the run runs/$(NAME))
endif
RUN_DIR := runs/$(NAME)
ARCHIVE ?= $(foreach h,$(subst -, ,$(NAME)),runs/archives/$(h).zip)
BASE_MODEL ?= $(if $(filter demo,$(NAME)),tiny,openai-community/gpt2)

PUBLISH_FLAGS = $(if $(call _on,$(PRIVATE)),--private) $(if $(TAG),--tag $(TAG)) $(if $(call _on,$(DRY_RUN)),--dry-run)

publish: $(STAMP) $(RUN_DIR)/model.safetensors
	$(PY) -m publisher publish $(RUN_DIR) --hub $(HUB) --hub-root $(HUB_ROOT) $(strip $(PUBLISH_FLAGS))

train: $(RUN_DIR)/model.safetensors

$(RUN_DIR)/model.safetensors: | $(STAMP) $(call _unless_exists,$(RUN_DIR)/model.safetensors,$(RUN_DIR)/card.json)
	$(PY) -m publisher train $(RUN_DIR) --base-model $(BASE_MODEL)

$(RUN_DIR)/card.json: | $(STAMP) $(call _unless_exists,$(RUN_DIR)/card.json,$(ARCHIVE))
	$(PY) -m publisher prepare $(ARCHIVE) --out $(RUN_DIR) --force

runs/archives/demo.zip: | $(STAMP)
	@mkdir -p $(@D)
	$(PY) -m publisher demo-archive $@ --handle demo

runs/archives/%.zip:
	@echo "error: no tweet archive for @$*: put it at $@ or pass ARCHIVE=path (X archive zip/folder, JSONL, CSV)" >&2; exit 2

OTHER_ARCHIVES := $(filter-out runs/archives/%,$(ARCHIVE))
ifneq ($(OTHER_ARCHIVES),)
$(OTHER_ARCHIVES):
	@echo "error: ARCHIVE: $@: no such file or folder" >&2; exit 2
endif
else
publish train:
	@echo "$(PUBLISH_USAGE)" >&2; exit 2
endif

# Browse the local hub the publishes went to: make hub, then open http://127.0.0.1:$(HUB_PORT)/
hub: $(STAMP)
	$(PY) -m publisher hub serve --root $(HUB_ROOT) --port $(HUB_PORT)
