# clientsmith: `make generate` then `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Exact, hashed versions of everything .venv holds (see README, "Dependencies"); `make lock` renews them.
DEV_LOCK := requirements/dev.lock
RUNTIME_LOCK := requirements/runtime.lock
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock"
PRISM := tests/prism
PRISM_STAMP := $(PRISM)/node_modules/.installed-stamp

.PHONY: setup generate test check lint bench fuzz verify lock clean

# What pip and venv print while .venv is set up (a page per run) goes here, not to the terminal.
SETUP_LOG := $(VENV)-setup.log
# $(call logged,WHAT,COMMAND): run COMMAND with its output appended to $(SETUP_LOG); if it fails,
# show the end of the log and stop.
logged = { printf '\n$$ %s\n' '$(2)' && $(2); } >>$(SETUP_LOG) 2>&1 || { tail -n 40 $(SETUP_LOG) >&2; echo "make: $(1) failed (the whole output: $(SETUP_LOG))" >&2; exit 1; }

# A new lock gives a new .venv: packages the lock dropped must not linger.
$(STAMP): pyproject.toml $(DEV_LOCK)
	@echo "setup: creating $(VENV) from $(DEV_LOCK) (1-2 minutes on a fresh machine; pip's output goes to $(SETUP_LOG))"
	@rm -rf $(VENV)
	@: >$(SETUP_LOG)
	@$(call logged,creating $(VENV) with $(PYTHON) -m venv,$(PYTHON) -m venv $(VENV))
	@$(call logged,installing $(DEV_LOCK),$(BIN)/python -m pip install --require-hashes --no-deps -r $(DEV_LOCK))
	@# setuptools prints an "Editable installation." notice (its InformationOnly class, not a
	@# problem with the package) for every editable install with a package-dir mapping.
	@# A stale clientsmith.egg-info (from an older pyproject.toml) would keep old entry points.
	@rm -rf clientsmith.egg-info
	@$(call logged,installing clientsmith (editable),PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --no-deps --no-build-isolation -e .)
	@$(BIN)/python -m pip check >>$(SETUP_LOG) 2>&1 || { tail -n 20 $(SETUP_LOG) >&2; echo "make: $(DEV_LOCK) does not satisfy pyproject.toml: run make lock" >&2; exit 1; }
	@touch $(STAMP)
	@echo "setup: $(VENV) is ready"

# Stoplight Prism, the contract-test mock server, pinned by tests/prism/package-lock.json.
$(PRISM_STAMP): $(PRISM)/package.json $(PRISM)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is needed for the contract tests (install Node.js 18+)" >&2; exit 1; }
	cd $(PRISM) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(PRISM_STAMP)

## setup: create .venv and install clientsmith with its dev extras
setup: $(STAMP)

## generate: regenerate every client listed in pyproject.toml into generated/
generate: $(STAMP)
	$(BIN)/clientsmith generate

## test: run every test (golden files, specs, runtime behaviour, Prism contract tests, mypy --strict)
test: $(STAMP) $(PRISM_STAMP)
	$(BIN)/python -m pytest -q

## check: fail if generated/ is not what the specs and templates produce
check: $(STAMP)
	$(BIN)/clientsmith check

## lint: ruff + mypy on the generator and the runtime (templates/module/_runtime.py), black --check and mypy --strict on generated/
RUNTIME := templates/module/_runtime.py
lint: $(STAMP)
	$(BIN)/ruff check generator tests $(RUNTIME)
	$(BIN)/black --check --quiet generated $(RUNTIME)
	$(BIN)/mypy generator
	$(BIN)/mypy --strict $(RUNTIME)
	cd generated && for pkg in */; do (cd $$pkg && ../../$(BIN)/mypy --strict $$(basename $$pkg)) || exit 1; done

## bench: generation, per-call and import benchmarks against the peers (BENCH_QUICK=1: smoke run)
bench: $(STAMP)
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python benchmarks/run.py

## verify: clientsmith verify on every spec we have, deep (200 examples per operation and check)
verify: $(STAMP)
	CLIENTSMITH_VERIFY_EXAMPLES=$${CLIENTSMITH_VERIFY_EXAMPLES:-200} $(BIN)/python -m pytest -q tests/test_verify.py

## fuzz: the injection property tests with 10,000 examples
fuzz: $(STAMP)
	CLIENTSMITH_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest -q tests/test_fuzz_injection.py

## lock: re-resolve requirements/*.lock from pyproject.toml (keeps locked versions that still fit) and the tests' locks
lock: $(STAMP)
	$(UV_COMPILE) pyproject.toml -o $(RUNTIME_LOCK)
	$(UV_COMPILE) pyproject.toml requirements/dev.in --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) --exclude-newer 2025-08-30T00:00:00Z tests/airflow/requirements.in -o tests/airflow/requirements.lock
	for input in tests/lower_bounds/*.in; do $(UV_COMPILE) --resolution lowest-direct $$input -o $${input%.in}.lock || exit 1; done

clean:
	rm -rf $(VENV) $(SETUP_LOG) $(PRISM)/node_modules .cache .pytest_cache .mypy_cache .ruff_cache
