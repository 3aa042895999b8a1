# The two commands of the README. Both do all set-up on a fresh machine.
.PHONY: setup bench test
PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

# The main job: the default benchmark (`quick` preset) on the embedded default models
# (built on first use), then the report. Rerunning resumes: finished items are skipped.
bench: setup
	$(PY) -m specdecode bench quick --out runs/quick.jsonl --report reports/quick

test: setup
	$(PY) -m pytest -q
