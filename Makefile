# Two entry points for a fresh machine; both create .venv on first use.
#   make lab   open JupyterLab on notebooks/ (extra options: make lab LAB_ARGS="--no-browser --port 8899")
#   make test  run every test: pytest for the package, strict nbval for the notebooks

PYTHON ?= python3
VENV ?= .venv
LAB_ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "wxpay-lesson needs Python 3.10 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest
