# webstack's commands. `make check` and `make test` are all a newcomer needs; both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= prod
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

.PHONY: setup check check-all test lint typecheck docs

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

## The offline check of one stack (default prod): the whole program and the policy pack, no cloud account.
check: setup
	$(PY) -m stackcheck $(STACK)

## The offline check of every stack file.
check-all: setup
	@for stack in $(STACKS); do echo "== $$stack"; $(PY) -m stackcheck $$stack > /dev/null || exit 1; done

## The whole test suite.
test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m pyright

## Regenerate what is generated: the settings reference (Pulumi.yaml, README.md), the taggable-type list and the
## compliance reports in docs/.
docs: setup
	$(PY) -m scripts.settings_docs --write
	$(PY) -m scripts.taggable_types --write
	@for stack in $(STACKS); do $(PY) -m stackcheck $$stack --report docs/compliance-$$stack.md > /dev/null || exit 1; done
