# salesflow: `make run` starts the app, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run stop test lint format migrate seed bench soak

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Web on http://127.0.0.1:8000, a Celery worker and a single beat, together.
run: seed
	@echo
	@echo "salesflow is starting on http://127.0.0.1:8000 (Ctrl+C stops web, worker and beat)."
	@echo "Sign in with one of the demo users above."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# With DATABASE_URL unset, salesflow's own PostgreSQL (under var/postgres/) keeps running
# after run or test so the next one starts at once; this stops it.
stop: install
	$(BIN)/python manage.py embedded_db stop

# A backup of the database in var/backups/ (README, "Backups"); restore with
# `manage.py restore FILE` into an empty database.
.PHONY: backup
backup: install
	$(BIN)/python manage.py backup

# Measure the data set already in DATABASE_URL's database (fill it first with seed_scale):
# pages, POSTs, the follow-up sweep and throughput. BENCH_ARGS="--requests 10 --duration 10"
# for a quicker run. What it writes to measure it deletes again; still, give it a database
# of its own.
bench: migrate
	$(BIN)/python manage.py bench $(BENCH_ARGS)

# The rep's reads and writes through gunicorn for MINUTES while a Celery worker is killed
# every minute and Redis restarted once, on the demo data set; then every promise checked
# (docs/reliability.md). It runs its own Redis, gunicorn, workers, beat and SMTP server.
# SOAK_ARGS="--users 8 --kill-every 30" for more.
MINUTES ?= 5
soak: seed
	$(BIN)/python manage.py soak --minutes $(MINUTES) $(SOAK_ARGS)

# The suite on TEST_WORKERS processes at once (pytest-xdist; each has its own test database
# and Redis database, see salesflow/settings/test.py); TEST_WORKERS=0 runs it in this one.
# With --dist loadgroup, tests marked @pytest.mark.xdist_group("name") run one after another
# in one process; no test needs that today (each starts its own servers on free ports).
TEST_WORKERS ?= 2
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
