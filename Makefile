# trailwatch: `make demo` and `make test` work on a fresh machine (they create .venv first).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= demo

.PHONY: install test demo lint browser airflow-ui wheel clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/trailwatch kernel install --sys-prefix >/dev/null
	touch $@

install: $(STAMP)

# The wheel a production install uses (sql/, notebooks/, dags/ inside): dist/trailwatch-*.whl
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -q -w dist .

# Headless Chromium for the report screenshot and JupyterLab tests (Debian package; needs root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install it (apt-get install chromium) to run the browser checks"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/trailwatch demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(BIN)/ruff check toolkit dags tests benchmarks

airflow-ui: $(STAMP)
	$(BIN)/python -m toolkit.demo.airflow_ui --out $(DEMO_OUT)

clean:
	rm -rf $(VENV) .pytest_cache build dist
