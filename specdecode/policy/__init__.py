"""JointAdaSpec: draft length and fuzzy threshold chosen together by a Markov decision
process (METHODS.md item 17), as a pipeline of resumable files:

    specdecode policy collect  -> traces (JSONL, one line per dev prompt) + manifest
    specdecode policy solve    -> policy tables (JSON) per kappa: the joint MDP and two cascades
    specdecode policy check    -> structural conditions, convergence, heatmap, Pareto plot

states.py    the state space (entropy bin, KL bin, window position) and the actions
steps.py     a generation's controller log + cycle records -> transition rows
collect.py   run the random behaviour policy through the one loop on dev prompts
estimate.py  transitions and rewards with a Laplace prior (scipy.sparse)
solve.py     value iteration and the speed/time trade-off (c_time)
cascades.py  the two cascade baselines (length first, threshold first)
tables.py    solve's driver: traces -> every kind x kappa table, with manifests
check.py     the empirical structure conditions; report.py / plots.py: check's output
io.py        policy files, manifests, staleness checks
The controllers: controllers/random_policy.py (the behaviour policy, and WindowPolicy,
the bookkeeping both share) and controllers/jointadaspec.py (the table lookup).

This package imports nothing heavy at import time: the controllers import states.py, steps.py and
io.py while the controller registry loads."""
