"""specdecode: speculative (draft-and-verify) decoding — one loop, one runner, one analysis."""
from .config import GenerationConfig, MethodConfig, SamplingConfig
from .errors import SpecDecodeError

__version__ = "0.1.0"
__all__ = ["GenerationConfig", "MethodConfig", "SamplingConfig", "SpecDecodeError", "generate", "load_model",
           "SpeculativeDecoder"]


def __getattr__(name):  # keep `import specdecode` light: torch loads on first use
    if name in ("generate", "SpeculativeDecoder"):
        from . import decoder

        return getattr(decoder, name)
    if name == "load_model":
        from .models import load_model

        return load_model
    raise AttributeError(name)
