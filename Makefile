# The two commands of README.md: `make demo` and `make test`. Both set up a fresh machine
# first: a virtualenv with chirp, then `chirp doctor --fix` (Debian packages as root,
# the JVM servers' jars from Maven Central into ~/.cache/chirp).
PYTHON ?= python3
VENV ?= .venv
CHIRP := $(VENV)/bin/chirp

.PHONY: setup test-deps demo test down constraints

# constraints.txt pins every package to the versions CI was run with.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

# After a change to pyproject.toml's dependencies: the newest versions that fit, resolved
# in a fresh virtualenv so nothing else installed here is pinned.
constraints:
	rm -rf build/constraints-venv
	$(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/python -m pip install -q --upgrade pip
	build/constraints-venv/bin/python -m pip install -q ".[dev]"
	{ echo "# The versions CI, \`make setup\` and the chirp image install (pip install -c constraints.txt)."; \
	  echo "# Regenerate after changing pyproject.toml's dependencies: \`make constraints\`."; \
	  build/constraints-venv/bin/python -m pip freeze --exclude chirp; } > constraints.txt
	rm -rf build/constraints-venv

setup: $(VENV)/.installed
	$(CHIRP) doctor --fix --skip-ports

# Up, a small seeded graph, a 90-second smoke load and its SLO table: 15 feed reads and
# 15 posts a second, so after the 10 s warm-up both p99s are judged on ~1,200 samples
# (p99.9 is reported as not enough samples). 500 users keep every author far below
# CHIRP_TWEETS_PER_HOUR. A failed run (exit 1: an SLO breached, e.g. on a busy machine)
# is a result worth reading, not a failed demo; exit 2 (the run itself failed) is.
demo: setup
	$(CHIRP) up
	$(CHIRP) seed --users 500 --avg-follows 15 --tweets 2000 --reset
	$(CHIRP) load smoke || [ $$? -eq 1 ]

# The report test opens report.html in Debian's headless Chromium. The compose test
# loads docker-compose.yml with compose-go (Docker Compose's own loader), built from
# infra/provision/compose/configcheck with Go, since this machine's docker CLI has no compose plugin.
CONFIGCHECK := $(VENV)/bin/compose-configcheck

$(CONFIGCHECK): $(wildcard infra/provision/compose/configcheck/*)
	@command -v go >/dev/null || { echo "go is missing: the compose file test will be skipped"; exit 0; }; \
		cd infra/provision/compose/configcheck && go build -o $(abspath $@) .

test-deps: $(CONFIGCHECK)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		{ echo "chromium is missing: apt-get install -y chromium"; exit 1; }

test: setup test-deps
	$(VENV)/bin/python -m pytest -q

down:
	$(CHIRP) down
