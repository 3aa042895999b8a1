"""Test-wide settings. One torch thread: the test models are tiny, and on a 2-core CI
machine thread oversubscription slows tiny forwards by 10-50x."""
import torch

torch.set_num_threads(1)

import os  # noqa: E402

# Commands default to --dtype auto (a per-machine measurement): the tests pin fp32 so a
# T = 0 identity never depends on which dtype this machine favours. test_dtypes.py
# exercises auto itself.
os.environ.setdefault("SPECDECODE_DTYPE", "fp32")
