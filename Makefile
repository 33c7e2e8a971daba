# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests drive: Chromium for the browser tests, Dovecot for the IMAP tests, the PostgreSQL
# client (pg_dump/pg_restore of `feedback backup`; Debian's matches its server's major version).
TEST_DEBS := chromium dovecot-imapd postgresql-client
# Debian packages the benchmarks drive: wrk, the HTTP load generator of bench/load.py.
BENCH_DEBS := wrk

.PHONY: run test bench install install-test system-deps translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d feedback/translations

install-test: $(VENV)/.installed-test
	$(BIN)/pybabel -q compile -d feedback/translations

system-deps:
	@missing=$$(for p in $(TEST_DEBS) $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The demo serves plain http on 127.0.0.1: its cookies cannot be Secure (production behind TLS keeps them so).
run: install
	$(BIN)/feedback init --demo
	FEEDBACK_SESSION_COOKIE_SECURE=false $(BIN)/feedback serve

test: install-test system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: install-test system-deps
	$(BIN)/python bench/run_all.py

translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o feedback/translations/messages.pot .
	$(BIN)/pybabel -q update -i feedback/translations/messages.pot -d feedback/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache
