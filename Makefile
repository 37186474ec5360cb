# HaulMatch: `make run` serves the product on the embedded default; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# make run's local Stripe stand-in (billing/devstripe.py): payments work in the demo with no Stripe account.
STRIPE_PORT ?= 8420
DEVSTRIPE_STATE ?= .devstripe.pickle
DEMO_WEBHOOK_SECRET := whsec_haulmatch_demo
# make run's logs (requests, the app's lines, the Stripe stand-in) go here; the terminal keeps errors and emails.
LOG_FILE ?= run.log
STAMP := $(VENV)/.installed

.PHONY: setup run worker beat web test lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "HaulMatch needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)  ## create the virtualenv and install the pinned requirements

run: setup  ## migrate, seed the demo data, its bin sensors and payments, and serve http://127.0.0.1:$(PORT)
	@echo "Logs (requests, the app, the Stripe stand-in): $(LOG_FILE). Emails print here, one line each (EMAIL_CONSOLE_FULL=true for the whole text)."
	@$(BIN)/python -m billing.devstripe --port $(STRIPE_PORT) --state $(DEVSTRIPE_STATE) \
		--webhook http://127.0.0.1:$(PORT)/billing/stripe/webhook/ --webhook-secret $(DEMO_WEBHOOK_SECRET) >>$(LOG_FILE) 2>&1 & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	export STRIPE_SECRET_KEY=sk_test_haulmatch_demo STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) \
		STRIPE_WEBHOOK_SECRET=$(DEMO_WEBHOOK_SECRET) SITE_URL=http://127.0.0.1:$(PORT) LOG_FILE=$(abspath $(LOG_FILE)); \
	echo "Migrating the database..." && $(BIN)/python manage.py migrate --noinput --verbosity 0 && \
	$(BIN)/python -c 'import socket, sys, time; any(socket.socket().connect_ex(("127.0.0.1", $(STRIPE_PORT))) == 0 or time.sleep(0.2) for _ in range(50)) or sys.exit("the Stripe stand-in did not start (see $(LOG_FILE))")' && \
	$(BIN)/python manage.py seed_demo && \
	$(BIN)/python manage.py simulate_sensors --days 30 && \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: setup  ## a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A config worker --loglevel=INFO

beat: setup  ## the one Celery beat (needs REDIS_URL); schedules live in the database
	$(BIN)/celery -A config beat --loglevel=INFO

web: setup  ## gunicorn as production runs it (deploy/gunicorn.conf.py), with the settings in the environment (README: "Run it for real")
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py config.wsgi

test: setup  ## the whole suite; the services tier runs where PostgreSQL and Redis are configured
	$(BIN)/pytest

lint: setup  ## ruff, the import contracts in pyproject.toml (lint-imports) and the migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup  ## matching at 1k-100k haulers, sensor ingest, route quality and speed, route-aware matching, a city of smart bins; throwaway databases beside DATABASE_URL's
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.matching
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.match_score
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.sensors
	$(BIN)/python -m bench.routing
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.market_day
	$(BIN)/python -m bench.city
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.ops_map
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.quote_growth
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" $(BIN)/python -m bench.http

clean:
	rm -rf $(VENV) db.sqlite3 .devstripe.pickle $(LOG_FILE) staticfiles .pytest_cache .ruff_cache
