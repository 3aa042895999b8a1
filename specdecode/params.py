"""Build a role's frozen params dataclass from a plain dict, with one-line errors for
unknown keys and wrong types (the CLI, YAML configs and Python all go through this)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .errors import SpecDecodeError


@dataclass(frozen=True)
class NoParams:
    """For roles without hyperparameters: any given key is reported as unknown."""


def build_params(cls, params: dict[str, Any] | None, where: str):
    params = dict(params or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise SpecDecodeError(
            f"Unknown parameter {unknown[0]!r} for {where}. Allowed: {', '.join(sorted(fields)) or 'none'}"
        )
    for name, value in params.items():
        default = fields[name].default
        if default is not dataclasses.MISSING and default is not None:
            want = type(default)
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                params[name] = float(value)
            elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
                raise SpecDecodeError(
                    f"Parameter {name!r} of {where} must be {want.__name__} (got {value!r})"
                )
    return cls(**params)
