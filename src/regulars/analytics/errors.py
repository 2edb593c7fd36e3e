"""Why a fit refuses; drawn in the package docstring. Each refusal also carries a stable
``reason`` (finer than the class's ``code``) and a message template with its ``params``, so a
page can show it in the reader's language."""

from __future__ import annotations

from regulars.errors import Conflict


class ModelRefused(Conflict):
    """A fit the data refuses; ``reason`` says which of the reasons below."""

    def __init__(self, detail: str, *, reason: str,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(detail, params=params)
        self.reason = reason


class NotEnoughData(ModelRefused):
    """Too few members, or too few of them with repeat purchases, to estimate the model."""

    code = "not_enough_data"


class FitFailed(ModelRefused):
    """The optimiser did not converge, or the maximum lies outside the model's usable range
    (for instance a Gamma-Gamma ``q <= 1``, where the mean spend is unbounded)."""

    code = "fit_failed"
