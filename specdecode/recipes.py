"""How a builder's recipe (a frozen dataclass) is hashed by the zoo cache: every field's
value, except fields declared with added_field() that still hold their defaults. A knob
added to a shared recipe class (training.recipe.TeacherRecipe) thus rebuilds no cached
model until some recipe sets it. Neutral ground: the zoo hashes, training declares.
Also: a recipe with fields replaced from "FIELD=VALUE" text (recipe ablations,
bench/recipe_variant.py and bench/recipe_probe.py)."""
from __future__ import annotations

import dataclasses
from typing import Any

HASH_OMIT_DEFAULT = "recipe_hash_omit_default"  # dataclass field metadata key


def added_field(default: Any) -> Any:
    """A recipe field added after builds were cached (an immutable default only)."""
    return dataclasses.field(default=default, metadata={HASH_OMIT_DEFAULT: True})


def hashed_recipe(recipe: Any) -> dict[str, Any]:
    """asdict(recipe) less its top-level added fields that still hold their defaults."""
    out = dataclasses.asdict(recipe)
    for f in dataclasses.fields(recipe):
        if f.metadata.get(HASH_OMIT_DEFAULT) and getattr(recipe, f.name) == f.default:
            del out[f.name]
    return out


def parse_assignment(recipe: Any, assignment: str) -> tuple[str, Any]:
    """'field=value' -> (field, value parsed as the field's current type: a tuple as
    comma-separated values of its elements' type, a bool from 1/true/yes); a ValueError
    that names the fields (bad name) or the expected form (bad value)."""
    name, _, raw = assignment.partition("=")
    names = [f.name for f in dataclasses.fields(recipe)]
    if name not in names:
        raise ValueError(f"{name!r} is not a field of {type(recipe).__name__}; pick one of: {', '.join(names)}")
    old = getattr(recipe, name)
    if isinstance(old, bool):
        return name, raw.lower() in {"1", "true", "yes"}
    if isinstance(old, tuple):  # of the type of its first element (ints if empty)
        kind = type(old[0]) if old else int
    else:
        kind = int if old is None else type(old)
    try:
        if isinstance(old, tuple):
            return name, tuple(kind(x) for x in raw.split(",") if x)
        return name, kind(raw)
    except ValueError:
        shape = f"comma-separated {kind.__name__}s" if isinstance(old, tuple) else f"a {kind.__name__}"
        raise ValueError(f"{assignment!r}: {name} takes {shape}, e.g. {name}={_example(old)}") from None


def _example(old: Any) -> str:
    """A field's current value written as an assignment takes it."""
    return ",".join(map(str, old)) if isinstance(old, tuple) else str(old if old is not None else 1)


def with_assignments(recipe: Any, assignments: list[str]) -> Any:
    """recipe with each 'field=value' of assignments applied (dataclasses.replace)."""
    return dataclasses.replace(recipe, **dict(parse_assignment(recipe, a) for a in assignments))
