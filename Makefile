# Every target makes .venv if it is missing, installs torch (CPU build) first and then
# the package with its dev extras, so a fresh machine needs nothing installed by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ani-graph-installed

.PHONY: demo test lab lint assets bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)  ## render the headline example to demo/index.html and demo/graph.png
	$(PY) scripts/demo.py

test: $(STAMP)  ## unit, property, notebook and browser tests
	$(PY) -m pytest

lab: $(STAMP)  ## JupyterLab on the lessons
	$(VENV)/bin/jupyter lab notebooks/

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

assets: $(STAMP)  ## the pictures in assets/, made with ani-graph itself
	$(PY) scripts/make_assets.py

bench: $(STAMP)  ## benchmarks against torchviz; results in benchmarks/RESULTS.md
	$(PY) benchmarks/run.py --write

clean:
	rm -rf $(VENV) demo test-artifacts
