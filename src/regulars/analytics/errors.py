"""Why a fit refuses; drawn in the package docstring."""

from __future__ import annotations

from regulars.errors import Conflict


class NotEnoughData(Conflict):
    """Too few members, or too few of them with repeat purchases, to estimate the model."""

    code = "not_enough_data"


class FitFailed(Conflict):
    """The optimiser did not converge, or the maximum lies outside the model's usable range
    (for instance a Gamma-Gamma ``q <= 1``, where the mean spend is unbounded)."""

    code = "fit_failed"
