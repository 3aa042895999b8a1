"""Speculative forecasting of continuous values (STRIDE-style; docs/timeseries.md).

  data.py         built-in offline series, user CSV, time splits, train-only normalisation
  model.py        decoder-only patch transformer with Gaussian heads
  recipes.py      target and draft recipes;  train.py  training and distillation
  store.py        the model cache (manifest, recipe hash, integrity, lock)
  gaussian.py     per-patch Gaussians, residual sampler, CRPS
  rules.py        acceptance rules (RULES);  controllers.py  K / sigma controllers
  loop.py         the forecasting loop (sibling of specdecode/loop.py)
  config.py       `ts bench` configs (presets/*.yaml);  runner.py  resumable runs
  summary.py, findings.py, report.py, plots.py   analysis of run files
"""
