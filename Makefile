# polystack — the two set-up commands: `make run` (flags: make run ARGS="--redis-port 7000") and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: run test lint format bench-redis bench-zookeeper bench-mongo bench-helm bench-amqp helm-oracle-record clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test,helm-oracle]'
	touch $(STAMP) $@

run: $(STAMP)
	$(VENV)/bin/polystack serve $(ARGS)

test: $(TSTAMP)
	bash scripts/install-test-deps
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/pytest -q -p no:randomly $(PYTEST_ARGS)

lint: $(TSTAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

format: $(TSTAMP)
	$(VENV)/bin/ruff format src tests bench

bench-redis: $(TSTAMP)
	$(PY) bench/redis.py

bench-zookeeper: $(TSTAMP)
	$(PY) bench/zookeeper.py

bench-amqp: $(TSTAMP)
	$(PY) bench/amqp.py

bench-mongo: $(TSTAMP)
	$(PIP) install --quiet -e '.[bench]'
	$(PY) bench/mongo.py

bench-helm: $(TSTAMP)
	$(PY) bench/helm.py

# rewrite tests/helm/oracle/*.json from real Helm (needs helm-python-sdk: x86_64 Linux)
helm-oracle-record: $(TSTAMP)
	POLYSTACK_HELM_RECORD=1 $(VENV)/bin/pytest -q -p no:randomly tests/helm

clean:
	rm -rf $(VENV) build dist src/*.egg-info
