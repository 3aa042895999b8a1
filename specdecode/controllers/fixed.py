"""`fixed`: the same k every cycle."""
from dataclasses import dataclass

from .base import CONTROLLERS, Controller


@dataclass(frozen=True)
class FixedParams:
    pass


@CONTROLLERS.register("fixed")
class FixedController(Controller):
    Params = FixedParams
