# The two commands of the README. Both do all set-up on a fresh machine.
.PHONY: setup bench test
PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

# The main job: the default benchmark on the embedded default models.
bench: setup
	$(PY) -m specdecode generate --target zoo:tiny --draft zoo:tiny-draft --proposer draft --prompt "def fibonacci(n):" --max-new-tokens 64

test: setup
	$(PY) -m pytest -q
