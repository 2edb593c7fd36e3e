"""Customer analytics: pure computation over members' purchase histories.

Nothing here reads a database, a clock or the environment: a service (a later
``services/analytics`` area) loads receipts, chooses the calibration end and passes them in.

- :mod:`.summary`: per member the frequency / recency / age summary of receipts up to a
  calibration end, in days or weeks (the input of every model below);
- :mod:`.bgnbd`: the BG/NBD model of purchase frequency and drop-out (Fader, Hardie and Lee
  2005), fitted by maximum likelihood; P(alive) and expected purchases per member;
- :mod:`.gamma_gamma`: the Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee
  2005; Fader and Hardie 2013); expected spend per purchase per member;
- :mod:`.clv`: customer lifetime value from both fits, with a margin and a monthly discount
  rate, and the rounding of model estimates to minor units;
- :mod:`.rfm`: recency / frequency / monetary quintile scores and named groups;
- :mod:`.text_receipts`: receipts from whitespace-separated ``customer date quantity amount``
  text (the CDNOW files).

Errors (both are :class:`regulars.errors.Conflict`: the request is valid, the data refuses it):

    Conflict
    └── ModelRefused                      (``reason``: a stable code for each message)
        ├── NotEnoughData   not_enough_data   too few members or repeat buyers to fit a
        │                                     model (too_few_members,
        │                                     too_few_repeat_spenders)
        └── FitFailed       fit_failed        the likelihood's maximum was not found, or
                                              lies where the model's expectations are
                                              undefined (did_not_converge,
                                              no_usable_maximum, unbounded_spend)
"""

from regulars.analytics.errors import FitFailed, ModelRefused, NotEnoughData

__all__ = ["FitFailed", "ModelRefused", "NotEnoughData"]
