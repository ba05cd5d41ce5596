# 会泽务工助手 — every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed-stamp
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
GATEWAY_PORT ?= 8000
export RASA_PORT ACTIONS_PORT GATEWAY_PORT
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install generate train browser servers run unit test validate eval bench lint clean

help: ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@set -e; python=$$(scripts/find_python.sh); \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$python"; $$python -m venv $(VENV); fi; \
	$(PY) -m pip install -q --upgrade pip; \
	echo "installing dependencies (first time: a few minutes)"; \
	$(PY) -m pip install -q -e '.[dev]'; \
	touch $@

install: $(STAMP) ## create .venv and install every dependency

generate: install ## render jieba dictionary and FAQ responses from policy_kb
	@$(PY) -m bot.tools.build

train: install ## train the model unless data and config are unchanged (renders policy_kb first)
	@$(PY) -m bot.tools.train

run: train ## start the action server, Rasa and the gateway; print the chat page URL
	@scripts/run.sh

browser: ## Debian's Chromium and CJK fonts for the page tests (installed when missing)
	@scripts/ensure_chromium.sh

servers: install ## Debian's redis-server, nginx and postgresql for the multi-machine tests (installed when missing)
	@$(PY) -m bot.tools.cluster ensure

unit: generate ## the tests that need no trained model, browser or servers (the fast loop, under a minute)
	@$(PY) -m pytest -q --unit -n 2

test: train browser servers ## set up, then run the whole test suite
	@$(PY) -m pytest

validate: generate ## rasa data validate
	@$(PY) -m pytest -q tests/rasa/test_stories.py::test_rasa_data_validate

eval: generate ## the job-ad check on its labelled ads; train on the training data only and score the held-out set
	@$(PY) -m bot.tools.evaluate_ads
	@$(PY) -m bot.tools.evaluate

bench: train ## latency, throughput, memory, cold start, training time -> reports/bench.md
	@$(PY) -m bot.tools.bench

lint: install ## ruff and yamllint
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/yamllint -s -c .yamllint.yml bot nlu_data policy_kb tests

clean: ## remove the venv, models and local databases
	rm -rf $(VENV) models var
