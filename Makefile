# webstack's commands. `make check` and `make test` are all a newcomer needs; both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= prod
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

.PHONY: setup check check-all reports test bench lint typecheck workflows docs package

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## The offline check of one stack (default prod): the whole program and the policy pack, no cloud account.
check: setup
	$(PY) -m stackcheck $(STACK)

## The offline check of every stack file.
check-all: setup
	@for stack in $(STACKS); do echo "== $$stack"; $(PY) -m stackcheck $$stack > /dev/null || exit 1; done

## Every stack's stackcheck JSON and compliance report in build/stackcheck/ (what the pull-request job uploads);
## fails when a stack has mandatory violations or does not run, after writing them all.
reports: setup
	@mkdir -p build/stackcheck; status=0; for stack in $(STACKS); do \
		$(PY) -m stackcheck $$stack --json --report build/stackcheck/$$stack.md \
			--diagram build/stackcheck/architecture-$$stack.md > build/stackcheck/$$stack.json || status=1; \
	done; exit $$status

## The whole test suite, in one worker process per CPU (pytest-xdist). One area: $(PY) -m pytest tests/policies
test: setup
	$(PY) -m pytest -n auto

## How fast stackcheck is, as ratios measured in one run (scripts/bench.py); never part of the test suite.
bench: setup
	$(PY) -m scripts.bench

## What a program using webstack as a library gets: pip install . into a fresh virtualenv (build/package-check), the
## public modules imported from outside the repository, the examples type-checked and run under the mocks against it.
package: setup
	bash scripts/ci/package-check.sh

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## pyright over the tree (a minute or more). A clean run leaves a stamp of what it checked in .venv: with the same
## sources, settings and packages, the next run says so and skips (CI's fresh .venv always checks).
typecheck: setup
	@files=$$(git ls-files -co --exclude-standard '*.py'); \
	stamp=$(VENV)/.pyright-$$({ echo $$files; cat pyproject.toml requirements.txt requirements-dev.txt $$files; } | sha256sum | cut -c1-16); \
	if [ -f $$stamp ]; then echo "pyright: nothing changed since its last clean run"; \
	else $(PY) -m pyright && rm -f $(VENV)/.pyright-* && touch $$stamp; fi

## The GitHub workflows and actions, offline: GitHub's schemas (bundled with check-jsonschema; every job needs a
## timeout) and yamllint.
workflows: setup
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema custom.github-workflows-require-timeout .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions .github/actions/*/action.yml
	$(VENV)/bin/yamllint --strict .github .yamllint.yml

## Regenerate what is generated: the settings reference and the alert table (Pulumi.yaml, docs/settings.md), the
## policy table (docs/policies.md, from the rules), the taggable-type list, the database roles' SQL
## (docs/operations.md), and the compliance reports and architecture pages (diagram, cost, critical path) in docs/.
docs: setup
	$(PY) -m scripts.settings_docs --write
	$(PY) -m scripts.policy_docs --write
	$(PY) -m scripts.taggable_types --write
	$(PY) -m scripts.roles_docs --write
	@for stack in $(STACKS); do \
		$(PY) -m stackcheck $$stack --report docs/compliance-$$stack.md --diagram docs/architecture-$$stack.md \
			> /dev/null || exit 1; \
	done
