"""How a builder's recipe (a frozen dataclass) is hashed by the zoo cache: every field's
value, except fields declared with added_field() that still hold their defaults. A knob
added to a shared recipe class (training.recipe.TeacherRecipe) thus rebuilds no cached
model until some recipe sets it. Neutral ground: the zoo hashes, training declares."""
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
