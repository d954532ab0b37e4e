# The two commands a new machine needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
# Each service, the kit and the gateway are a source root on the venv's path (a .pth file).
SOURCE_ROOTS := . kit services/identity services/notifications services/clients gateway
PY := $(VENV)/bin/python
export PSYCOPG_WAIT_FUNC := wait_select
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test venv deps infra assets migrate lint unit integration e2e browser bench clean lock compose-check

## Virtual environment, filled from the lock file in one step.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip<27'
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "agency-platform.pth").write_text("\n".join(str(pathlib.Path(p).resolve()) for p in "$(SOURCE_ROOTS)".split()) + "\n")'
	touch $@

venv: $(VENV)/.installed

## Re-pin every dependency after changing pyproject.toml.
lock:
	$(PY) -m piptools compile -q --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--output-file requirements.lock pyproject.toml

## PostgreSQL and RabbitMQ: start them if installed but stopped; say what to do otherwise.
infra:
	@bash deploy/ensure-infra.sh

## Front-end packages come from npm at set-up and are served locally.
assets: gateway/gateway/static/vendor/.installed
gateway/gateway/static/vendor/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	bash deploy/copy-assets.sh
	touch $@

migrate: venv infra
	$(PY) -m kit.migrate identity notifications clients

run: venv infra assets migrate
	$(PY) -m deploy.run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

compose-check:
	@if command -v docker-compose >/dev/null; then docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	else echo "docker-compose not installed; skipping the compose file check"; fi

unit: venv
	$(VENV)/bin/pytest -q kit/tests/unit services/*/tests/unit gateway/tests/unit

integration: venv infra
	$(VENV)/bin/pytest -q kit/tests/integration services/*/tests/integration

e2e: venv infra assets
	$(VENV)/bin/pytest -q tests/e2e

browser: venv infra assets
	bash deploy/ensure-chromium.sh
	$(VENV)/bin/pytest -q tests/browser

## The whole suite, from a fresh machine.
test: venv infra assets lint compose-check
	bash deploy/ensure-chromium.sh
	$(VENV)/bin/pytest -q kit/tests services/*/tests gateway/tests
	$(VENV)/bin/pytest -q tests

bench: venv infra
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) node_modules gateway/gateway/static/vendor .run
