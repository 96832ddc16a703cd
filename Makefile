# Two entry points for a fresh machine with only Python 3 and make:
#   make demo   set up .venv, start the embedded emulator, run playbooks/demo.yml against it
#   make test   set up .venv, run every test: ansible-test sanity, ansible-lint, unit and integration tests,
#               and the emulator package's own tests (emulator/tests, run from that folder with its own pytest config),
#               then the same sanity and unit tests on the oldest supported ansible-core, 2.16, and the demo on it (make floor)
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# ansible-test needs a real ansible_collections/<ns>/<name> tree; playbooks only need the collection on a path.
SANITY_TREE := $(or $(TMPDIR),/tmp)/cckm-sanity-$(shell printf %s "$(CURDIR)" | cksum | cut -d" " -f1)/ansible_collections/ciphertrust/cckm
RUN_TREE := .tree/run/ansible_collections/ciphertrust/cckm
PRIME := ../shared/tools/prime-ansible-test
PYTEST_ARGS ?= -n 2
# The demo's emulator: started empty (no AWS connection, no KMS container), 5 keys made in AWS (tests/integration/test_build.py too)
DEMO_EMULATOR := --tls --empty --seed-aws-keys 5

export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.tree/run
export PATH := $(BIN):$(PATH)

.PHONY: demo test setup sanity lint pytest collection-tests unit integration emulator-test build bench clean

# The oldest ansible-core meta/runtime.yml allows (requires_ansible), tested beside .venv's 2.19 by make floor / make matrix.
FLOOR_CORE := 2.16
FLOOR_VENV := $(VENV)/core-$(FLOOR_CORE)
FLOOR_BIN := $(CURDIR)/$(FLOOR_VENV)/bin
FLOOR_STAMP := $(FLOOR_VENV)/.installed-stamp
FLOOR_SANITY_TREE := $(subst /cckm-sanity-,/cckm-sanity-$(FLOOR_CORE)-,$(SANITY_TREE))

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
	$(BIN)/python -m cckm_emulator.run $(DEMO_EMULATOR) --repeat 2 --expect-idempotent -- \
		$(BIN)/ansible-playbook playbooks/demo.yml

# Two lanes: the collection's tests (four pytest workers, many of whose tests wait on the emulator: latency, token
# lifetimes, job delays) beside everything else in turn (the floor's units, both sanity runs, lint, the emulator's tests,
# the floor's demo), which ends about when they do. --output-sync=target: each target's output in one piece, when it ends.
TEST_JOBS ?= 2
test: setup floor-setup
	$(MAKE) -j$(TEST_JOBS) --output-sync=target collection-tests floor-unit sanity floor-sanity lint emulator-test floor-demo

sanity: setup
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	# the collection as the tarball holds it: emulator/ is a package of its own, linted in `make lint`
	git ls-files -co --exclude-standard -z -- . ':!:emulator' | tar --null -T - -cf - | tar -xf - -C $(SANITY_TREE)
	if [ -x $(PRIME) ]; then $(PRIME) $(BIN)/python; fi
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --venv --python 3.11 --color no

# make matrix: sanity and unit tests on every tested ansible-core: 2.19 (.venv) and the floor, $(FLOOR_CORE) (.venv/core-2.16/),
# plus the demo through the floor's ansible-playbook (modules and roles as a play runs them; 2.19 runs it in make pytest).
# make test runs the floor's half (make floor); its 2.19 half is in make sanity and make pytest anyway.
.PHONY: matrix floor floor-setup floor-sanity floor-unit floor-demo
matrix: sanity unit floor

floor: floor-sanity floor-unit floor-demo

floor-setup: $(FLOOR_STAMP) $(RUN_TREE)

# Inside .venv/, so that git, ansible-lint and the Galaxy build (build_ignore) leave it out like .venv itself.
$(FLOOR_STAMP): tests/unit/requirements.txt requirements.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_BIN)/python -m pip install --quiet --upgrade pip
	$(FLOOR_BIN)/python -m pip install --quiet "ansible-core==$(FLOOR_CORE).*" pytest pytest-xdist \
		-r tests/unit/requirements.txt -r requirements.txt -e ./emulator
	$(FLOOR_BIN)/python -c 'import sys, ansible.release as r; sys.exit(not r.__version__.startswith("$(FLOOR_CORE)."))'
	touch $@

floor-sanity: floor-setup
	rm -rf $(FLOOR_SANITY_TREE) && mkdir -p $(FLOOR_SANITY_TREE)
	git ls-files -co --exclude-standard -z -- . ':!:emulator' | tar --null -T - -cf - | tar -xf - -C $(FLOOR_SANITY_TREE)
	if [ -x $(PRIME) ]; then $(PRIME) $(FLOOR_BIN)/python; fi
	cd $(FLOOR_SANITY_TREE) && PATH=$(FLOOR_BIN):$$PATH $(FLOOR_BIN)/ansible-test sanity --venv --python 3.11 --color no

# The strict profile only: what the lenient one proves (other server answers) does not depend on ansible-core.
floor-unit: floor-setup
	PATH=$(FLOOR_BIN):$$PATH $(FLOOR_BIN)/python -m pytest tests/unit $(PYTEST_ARGS) -k "not lenient"

floor-demo: floor-setup
	PATH=$(FLOOR_BIN):$$PATH $(FLOOR_BIN)/python -m cckm_emulator.run $(DEMO_EMULATOR) --repeat 2 \
		--expect-idempotent -- $(FLOOR_BIN)/ansible-playbook playbooks/demo.yml

lint: setup
	$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/python -m pyflakes emulator
	$(BIN)/python -m pycodestyle --max-line-length 160 --ignore E402,W503,W504 emulator

pytest: setup emulator-test collection-tests

# The collection's own tests, ansible-playbook runs first (the longest start first; the in-process tests fill the end).
# Four workers on two cores: many of these tests wait on the emulator (latency, token lifetimes, job delays);
# worksteal: a worker left idle at the end takes tests queued on another.
COLLECTION_PYTEST_ARGS ?= -n 4 --dist worksteal
collection-tests: setup
	$(BIN)/python -m pytest tests/integration tests/unit $(COLLECTION_PYTEST_ARGS)

unit: setup
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

integration: setup
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

# From its own folder, so that its pytest config and nothing of the collection's applies; no tests collected is exit 5, a failure.
emulator-test: setup
	cd emulator && $(BIN)/python -m pytest $(PYTEST_ARGS)

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path build/

# make docs: the HTML docsite (modules, roles, docs/docsite/rst guides) in build/docsite/build/html; warnings fail it.
# Offline, intersphinx reads the two labels of Ansible's docs that antsibull-docs pages link from a local inventory.
DOCS_STAMP := $(VENV)/.docs-stamp
DOCS_INVENTORY := import sys, zlib; labels = {"common_return_values": ("reference_appendices/common_return_values.html", "Return Values"), \
	"ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings")}; \
	body = "".join("%s std:label -1 %s\#%s %s\n" % (n, u, n.replace("_", "-"), t) for n, (u, t) in labels.items()); \
	open(sys.argv[1], "wb").write(b"\# Sphinx inventory version 2\n\# Project: Ansible\n\# Version: devel\n" \
	b"\# The remainder of this file is compressed using zlib.\n" + zlib.compress(body.encode()))
.PHONY: docs
$(DOCS_STAMP): $(STAMP) tests/docs-requirements.txt
	$(BIN)/python -m pip install --quiet -r tests/docs-requirements.txt
	touch $@

docs: setup $(DOCS_STAMP)
	rm -rf build/docsite && mkdir -p build && mkdir -m 700 build/docsite
	$(BIN)/antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir build/docsite \
		--project ciphertrust.cckm --copyright "ciphertrust.cckm contributors" --title ciphertrust.cckm ciphertrust.cckm
	$(BIN)/python -c '$(DOCS_INVENTORY)' build/docsite/ansible_devel.inv
	echo "intersphinx_mapping = {'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv')}" \
		>> build/docsite/conf.py
	cd build/docsite && ./build.sh

clean:
	rm -rf $(VENV) .tree build tests/output emulator/build emulator/src/*.egg-info

# make bench: the benchmarks against the emulator (a few minutes), each writing its section of docs/performance.md;
# bench_scale: request counts, login tokens, aws_key_info scale, per-task overhead, forks; bench_bulk: aws_key_bulk and
# the rotation role vs aws_key loops. A goal not met fails make bench, once both have written their sections.
bench: setup
	rc=0; \
	$(BIN)/python tests/benchmarks/bench_scale.py --markdown docs/performance.md || rc=1; \
	$(BIN)/python tests/benchmarks/bench_bulk.py --markdown docs/performance.md || rc=1; \
	exit $$rc
