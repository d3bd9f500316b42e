# Every target makes .venv if it is missing, installs torch (CPU build) first and then
# the package with its dev extras, so a fresh machine needs nothing installed by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ani-graph-installed

.PHONY: demo test lab lint dist assets bench notebooks site clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)  ## render the headline example to demo/index.html and demo/graph.png
	$(PY) scripts/demo.py

test: $(STAMP)  ## unit, property, notebook, wheel and browser tests
	$(PY) -m pytest

lab: $(STAMP)  ## JupyterLab on the lessons
	$(VENV)/bin/jupyter lab notebooks/

lint: $(STAMP)  ## ruff, the CI workflows against GitHub's schema, mypy on the package
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/mypy

dist: $(STAMP)  ## the sdist and the wheel in dist/, checked with twine (release.yml does the same on a tag)
	rm -rf dist
	$(PY) -m build
	$(VENV)/bin/twine check --strict dist/*

notebooks: $(STAMP)  ## the lesson notebooks and their solutions in notebooks/, built from lessons/*.py
	$(PY) scripts/build_notebooks.py

site: $(STAMP)  ## the lessons as a static website in site/: solutions executed, animations play offline
	$(PY) scripts/build_site.py

assets: $(STAMP)  ## the pictures in assets/, made with ani-graph itself
	$(PY) scripts/make_assets.py

bench: $(STAMP)  ## benchmarks against torchviz; results in benchmarks/RESULTS.md
	$(PY) benchmarks/run.py --write

clean:
	rm -rf $(VENV) demo site test-artifacts dist build *.egg-info
