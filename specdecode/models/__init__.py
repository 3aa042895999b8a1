from .loading import load_model, shared_vocab_size
from .wrapper import CausalLM, ForwardOutput

__all__ = ["CausalLM", "ForwardOutput", "load_model", "shared_vocab_size"]
