"""Test-wide settings. One torch thread: the test models are tiny, and on a 2-core CI
machine thread oversubscription slows tiny forwards by 10-50x."""
import torch

torch.set_num_threads(1)
