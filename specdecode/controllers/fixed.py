"""`fixed`: the same k every cycle."""
from ..params import NoParams
from .base import CONTROLLERS, Controller


@CONTROLLERS.register("fixed")
class FixedController(Controller):
    Params = NoParams
