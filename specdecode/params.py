"""Build a role's frozen params dataclass from a plain dict, with one-line errors for
unknown keys, wrong types and non-finite numbers (NaN, Infinity: rejected for every
role's params). The CLI, YAML configs and Python all go through this."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .errors import SpecDecodeError
from .inputs import check_finite_values, is_finite_number, is_int, show


@dataclass(frozen=True)
class NoParams:
    """For roles without hyperparameters: any given key is reported as unknown."""


def build_params(cls, params: dict[str, Any] | None, where: str):
    if params is not None and not isinstance(params, dict):
        raise SpecDecodeError(f"params of {where} must be a mapping of name: value (got {show(params)})")
    params = dict(params or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in params:
        if not isinstance(name, str):
            raise SpecDecodeError(f"Parameter names of {where} must be strings (got {show(name)}). "
                                  f"Allowed: {', '.join(sorted(fields)) or 'none'}")
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise SpecDecodeError(
            f"Unknown parameter {unknown[0]!r} for {where}. Allowed: {', '.join(sorted(fields)) or 'none'}"
        )
    for name, value in params.items():
        # NaN / Infinity mean nothing as a hyperparameter and cannot be written to a JSON record
        check_finite_values(value, f"Parameter {name!r} of {where}")
        default = fields[name].default
        if default is not dataclasses.MISSING and default is not None:
            want = type(default)
            if want is float and is_int(value):
                if not is_finite_number(value):
                    raise SpecDecodeError(f"Parameter {name!r} of {where} must be a finite number (got {show(value)})")
                params[name] = float(value)
            elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
                raise SpecDecodeError(
                    f"Parameter {name!r} of {where} must be {want.__name__} (got {show(value)})"
                )
    return cls(**params)


def file_param(default: str = "") -> Any:
    """A str param naming a file or directory its component reads (a trained head, a solved
    policy table; a zoo id or a path; '' = none). The bench hashes what it names into each
    record's key (MethodConfig.files), so a rebuilt head or re-solved table runs its items
    again instead of resuming records made with the old one."""
    return dataclasses.field(default=default, metadata={"file": True})


def file_fields(cls, params: dict[str, Any] | None) -> dict[str, str]:
    """{name: value} of the file params (file_param) given non-empty in `params`."""
    params = params or {}
    return {f.name: params[f.name] for f in dataclasses.fields(cls)
            if f.metadata.get("file") and isinstance(params.get(f.name), str) and params[f.name]}
