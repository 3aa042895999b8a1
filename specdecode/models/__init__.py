from .loading import MODEL_KINDS, ModelKind, load_model, model_kind, read_meta, register_model_kind, resolve_path
from . import feature_draft  # noqa: E402,F401  (registers the "feature" model kind)
from .wrapper import CausalLM, ForwardOutput

__all__ = ["CausalLM", "ForwardOutput", "MODEL_KINDS", "ModelKind", "load_model", "model_kind", "read_meta",
           "register_model_kind", "resolve_path"]
