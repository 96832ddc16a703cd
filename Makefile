# Two entry points for a fresh machine with only Python 3 and make:
#   make demo   set up .venv, start the embedded emulator, run playbooks/demo.yml against it
#   make test   set up .venv, run every test: ansible-test sanity, ansible-lint, unit and integration tests,
#               and the emulator package's own tests (emulator/tests, run from that folder with its own pytest config)
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# ansible-test needs a real ansible_collections/<ns>/<name> tree; playbooks only need the collection on a path.
SANITY_TREE := $(or $(TMPDIR),/tmp)/cckm-sanity-$(shell printf %s "$(CURDIR)" | cksum | cut -d" " -f1)/ansible_collections/ciphertrust/cckm
RUN_TREE := .tree/run/ansible_collections/ciphertrust/cckm
PRIME := ../shared/tools/prime-ansible-test
PYTEST_ARGS ?= -n 2

export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.tree/run
export PATH := $(BIN):$(PATH)

.PHONY: demo test setup sanity lint pytest unit integration emulator-test build bench clean

setup: $(STAMP) $(RUN_TREE)

# The emulator is installed editable: its code changes need no reinstall, its dependencies and entry points do.
$(STAMP): tests/requirements.txt requirements.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r tests/requirements.txt -r requirements.txt -e ./emulator
	touch $@

$(RUN_TREE):
	mkdir -p $(dir $(RUN_TREE))
	ln -sfn $(CURDIR) $(RUN_TREE)

demo: setup
	$(BIN)/python -m cckm_emulator.run --tls --seed-keys 3 --seed-aws-keys 2 --repeat 2 --expect-idempotent -- \
		$(BIN)/ansible-playbook playbooks/demo.yml

test: sanity lint pytest

sanity: setup
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C $(SANITY_TREE)
	if [ -x $(PRIME) ]; then $(PRIME) $(BIN)/python; fi
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --venv --python 3.11 --color no

lint: setup
	$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

pytest: setup emulator-test
	$(BIN)/python -m pytest tests/unit tests/integration $(PYTEST_ARGS)

unit: setup
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

integration: setup
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# From its own folder, so that its pytest config and nothing of the collection's applies; no tests collected is exit 5, a failure.
emulator-test: setup
	cd emulator && $(BIN)/python -m pytest $(PYTEST_ARGS)

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path build/

clean:
	rm -rf $(VENV) .tree build tests/output emulator/build emulator/src/*.egg-info

bench: setup
	$(BIN)/python tests/benchmarks/bench_scale.py --markdown docs/performance.md
	if [ -f tests/benchmarks/bench_bulk.py ]; then $(BIN)/python tests/benchmarks/bench_bulk.py --markdown docs/performance.md; fi
