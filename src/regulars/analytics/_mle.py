"""Maximum likelihood over positive parameters, searched in log space."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy.optimize import minimize

from regulars.analytics.errors import FitFailed
from regulars.analytics.summary import FloatArray

# Every parameter lies in [e^-15, e^15]; an optimum on that edge means the data does not pin
# the parameter down (a model at a limit, e.g. nobody ever drops out), which is a failed fit.
LOG_BOUND = 15.0


def maximise(mean_negative_ll: Callable[[FloatArray], float], start: FloatArray, *,
             model: Literal["purchase", "spend"], edge: float = LOG_BOUND) -> FloatArray:
    """The positive parameters that minimise ``mean_negative_ll`` (a function of their logs),
    found by L-BFGS-B from ``start`` (positive values).

    Raises :class:`FitFailed` when the search does not converge, ends on a non-finite
    likelihood, or ends beyond ``edge`` (a log; the search box's edge unless the model's
    parameters have a narrower plausible range). On a likelihood that keeps rising along a
    ridge (a model at a limit) the search stops wherever its progress gets too small, which
    depends on the machine's floating point: a model that knows its plausible range says so
    with ``edge``, so that such a fit fails on every machine.
    """
    result = minimize(mean_negative_ll, np.log(start), method="L-BFGS-B",
                      bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
                      options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
    logs = np.asarray(result.x, dtype=np.float64)
    if not result.success or not np.isfinite(result.fun):
        raise _refusal(model, converged=False)
    if np.any(np.abs(logs) > min(edge, LOG_BOUND - 1e-3)):
        raise _refusal(model, converged=True)
    return np.exp(logs)


def _refusal(model: Literal["purchase", "spend"], *, converged: bool) -> FitFailed:
    """Each model's own sentences, whole, so that each translates as one message."""
    if model == "purchase" and not converged:
        return FitFailed("the purchase (BG/NBD) model's likelihood did not converge",
                         reason="did_not_converge")
    if model == "purchase":
        return FitFailed("the purchase (BG/NBD) fit ran to the edge of its parameter range: "
                         "the data does not determine the model", reason="no_usable_maximum")
    if not converged:
        return FitFailed("the spend (Gamma-Gamma) model's likelihood did not converge",
                         reason="did_not_converge")
    return FitFailed("the spend (Gamma-Gamma) fit ran to the edge of its parameter range: "
                     "the data does not determine the model", reason="no_usable_maximum")
