"""TeacherRecipe: what every draft distilled from a target's own greedy outputs shares
(zoo:smollm2-135m-draft and zoo:smollm2-135m-eagle): the teacher data, the vocabulary
subset and the optimiser. A draft's recipe subclasses it and adds its shape; the zoo cache
hashes asdict() of the whole (field values only: moving or renaming the class keeps the
hash, changing a field does not; a field added with added_field changes it only when set
away from its default, so cached drafts survive a new knob)."""
from __future__ import annotations

from dataclasses import dataclass

from ..recipes import added_field
from .prompts import SUITES, WRITING_MAX_CHARS


@dataclass(frozen=True)
class TeacherRecipe:
    vocab_subset_size: int = 6144
    suites: tuple[str, ...] = SUITES
    prompts_per_suite: int | None = None  # dev prompts per suite (cap; None = all)
    extra_code: int = 300         # extra training prompts (prompts.py): disjoint
    extra_math: int = 200         # from every test split, from the suites' own sources
    extra_summarization: int = 100
    extra_chat: int = 160
    extra_writing: int = 0        # WritingBench requests (prompts.py), domain chat
    writing_max_chars: int = added_field(WRITING_MAX_CHARS)  # ... of at most this many characters
    raw_share: float = added_field(0.0)  # share of prompts fed raw, without the chat template
    max_prompt_tokens: int = 512  # longer prompts keep their last tokens
    new_tokens: int = 128
    gen_batch: int = 32
    teacher_topk: int = 16
    teacher_dtype: str = "bfloat16"  # data generation only: ~2.5x faster than fp32 on CPU (*)
    batch_tokens: int = 1024  # padded tokens per optimiser step
    max_seq_tokens: int = 640  # training windows end at the sequence end
    lr: float = 3e-3
    warmup_steps: int = 20
    prompt_weight: float = 0.3  # loss weight of prompt positions (continuation: 1)
    hard_weight: float = 0.5  # share of hard CE on the argmax in the loss
    bf16: bool = True  # autocast matmuls to bf16 while training (2x faster on AVX512-BF16) (*)
    # (*) where the CPU has native bf16 matmul; elsewhere a build runs both in fp32
    # (training/optimise.build_precision)
    threads: int = 2
