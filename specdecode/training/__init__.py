"""Training the zoo's models: what the builders in zoo/ (thin recipe files) are made of.

    corpus.py      stdlib text, a byte-level BPE tokenizer, one token stream (tiny models)
    prompts.py     the drafts' training prompts (dev splits + extras); test-split prompts
    teacher.py     the target as teacher: greedy continuations with top-k logits, features
    recipe.py      TeacherRecipe: what every draft distilled from SmolLM2's outputs shares
    vocab.py       the draft's vocabulary subset (FR-Spec) and its LM-head rows
    batching.py    random windows of a stream; length-bucketed batches of sequences
    masks.py       loss weights of prompt / continuation rows; the unrolled-step mask
    losses.py      next-token CE, KL distillation, top-k distillation CE, feature loss
    optimise.py    the one optimiser loop (AdamW + schedule + clipping), build threads
    checkpoint.py  small Llama models, saving them, copying tokenizer files
    lm_draft.py    standalone drafts: init from the target, distil, acceptance
    features.py    hidden-state (EAGLE-style) drafts: unrolled training, acceptance
    cost.py        the cost ratio c of one draft step to one target call
    measure.py     acceptance per suite on the test splits and c, for any draft
    probe.py       a draft recipe's training settings on held-out prompts (one teacher pass)

Imports only light modules at package import time. Nothing here imports zoo/ (the zoo's
builders import this package) or proposers/ (the copy head's lookup is specdecode.lookup).
"""
