# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[keras,dev]"
	touch $(STAMP)

# The GPU section (parity_tests/gpu) runs in its own invocation, in Numba's CUDA simulator, so the
# main run keeps real Numba; on a machine with an NVIDIA GPU run it without NUMBA_ENABLE_CUDASIM.
test: $(STAMP)
	$(PY) -m pytest -q
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest -q parity_tests/gpu

demo: $(STAMP)
	$(PY) lessons/01_basic_classification.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_mlp.py
	$(PY) benchmarks/bench_cnn.py
	$(PY) benchmarks/bench_scaling.py

clean:
	rm -rf $(VENV) out lessons_out
