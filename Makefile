# The two commands a new machine needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
# The nameko services: a new one joins here, in deploy/stack.py's SERVICES and docker-compose.yml.
SERVICES := identity notifications clients billing reporting
# Each service, the kit and the gateway are a source root on the venv's path (a .pth file).
SOURCE_ROOTS := . kit $(addprefix services/,$(SERVICES)) gateway
# Test folders of the monkey-patched (eventlet) suite; the stack tests in tests/ run apart.
SERVICE_TESTS = $(wildcard kit/tests services/*/tests gateway/tests deploy/tests)
export PSYCOPG_WAIT_FUNC := wait_select
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-faults venv infra assets migrate lint unit integration e2e browser bench clean lock \
	compose-check chromium

# pytest over the folders that exist; "no tests collected" (exit 5) passes while a folder is
# still empty, and says so. Every other failure fails.
define pytest
	@dirs="$(strip $(1))"; \
	if [ -z "$$dirs" ]; then echo "no test folders yet: $(2)"; exit 0; fi; \
	echo "pytest $$dirs"; \
	rc=0; $(VENV)/bin/pytest -q $$dirs || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected in $$dirs (yet)"; exit 0; fi; \
	exit $$rc
endef

## Virtual environment, filled from the lock file in one step.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip<27'
	$(PY) -m pip install -q -r requirements.lock
	touch $@

venv: $(VENV)/.installed
	@$(PY) deploy/write_pth.py $(SOURCE_ROOTS)

## Re-pin every dependency after changing pyproject.toml.
lock:
	$(PY) -m piptools compile -q --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--output-file requirements.lock pyproject.toml

## PostgreSQL and RabbitMQ: start them if installed but stopped; say what to do otherwise.
infra:
	@bash deploy/ensure-infra.sh

## Front-end packages come from npm at set-up and are served locally (no CDN).
assets: gateway/gateway/static/vendor/.installed
gateway/gateway/static/vendor/.installed: package.json package-lock.json deploy/copy-assets.sh
	@command -v npm >/dev/null || { echo "npm is missing: sudo apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund
	bash deploy/copy-assets.sh
	touch $@

## Debian's chromium for the browser tests (never `playwright install`).
chromium:
	@bash deploy/ensure-apt-package.sh /usr/bin/chromium chromium

migrate: venv infra
	$(PY) -m kit.migrate $(SERVICES)

## The whole system in the foreground until Ctrl-C (deploy/run.py).
run: venv infra assets migrate
	$(PY) -m deploy.run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## docker-compose.yml checked offline by Debian's docker-compose (installed when missing).
compose-check:
	@bash deploy/ensure-apt-package.sh /usr/bin/docker-compose docker-compose
	docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"

unit: venv
	$(call pytest,$(wildcard kit/tests/unit services/*/tests/unit gateway/tests/unit deploy/tests),unit)

integration: venv infra
	$(call pytest,$(wildcard kit/tests/integration services/*/tests/integration gateway/tests/integration),integration)

e2e: venv infra assets
	$(call pytest,$(wildcard tests/e2e),e2e)

browser: venv infra assets chromium
	$(call pytest,$(wildcard tests/browser),browser)

## The whole suite, from a fresh machine: the services' tests (under eventlet) and the tests of
## the running system side by side (their databases, vhosts and ports never meet: `_test` and
## `_e2e`), the services' output kept in .run/service-tests.log and shown when they end; then the
## running system under faults, alone (its timings want a machine not otherwise busy).
test: venv infra assets chromium lint compose-check
	@mkdir -p .run; echo "pytest $(SERVICE_TESTS) (in the background: .run/service-tests.log)"; \
	$(VENV)/bin/pytest -q --durations=10 $(SERVICE_TESTS) > .run/service-tests.log 2>&1 & service=$$!; \
	stack=0; $(VENV)/bin/pytest -q --durations=10 $(wildcard tests) --ignore=tests/faults || stack=$$?; \
	services=0; wait $$service || services=$$?; \
	echo "== service tests"; cat .run/service-tests.log; \
	echo "service tests: exit $$services; stack tests: exit $$stack"; \
	test $$services -eq 0 -a $$stack -eq 0
	$(call pytest,$(wildcard tests/faults),fault tests)

## The system under faults (databases refusing, PostgreSQL restarted, RabbitMQ stopped, programs
## killed, Stripe slow or silent, money flows cut off) on a PostgreSQL cluster and RabbitMQ node of
## its own, two processes of each service; and two processes of each service on a three-node
## RabbitMQ cluster of its own, one node killed. The shared servers are not touched.
test-faults: venv assets
	$(call pytest,$(wildcard tests/faults),fault tests)

## Every benchmarks/*.py (each records its rows with benchmarks/report.py), then the one table of
## them all, also written to benchmarks/results.md. A new benchmark joins by being a file there.
## One that fails does not stop the others (its previous rows, if any, stay in the table).
BENCHMARKS = $(filter-out __init__ report,$(basename $(notdir $(wildcard benchmarks/*.py))))
bench: venv infra assets
	@failed=""; for b in $(BENCHMARKS); do echo "== benchmarks.$$b"; \
		$(PY) -m benchmarks.$$b || failed="$$failed $$b"; done; \
	$(PY) -m benchmarks.report $(BENCHMARKS); \
	if [ -n "$$failed" ]; then echo "benchmarks that did not finish:$$failed" >&2; exit 1; fi

clean:
	rm -rf $(VENV) node_modules gateway/gateway/static/vendor .run
