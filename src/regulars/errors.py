"""The error vocabulary of Regulars.

Every failure a caller can act on is a :class:`RegularsError` with a stable ``code``; the API
translates each family to one HTTP status in one place, the CLI to exit code 2.

    RegularsError
    ├── InvalidInput            422  bad value in a field (``field`` says which)
    │   ├── InvalidPhone        422  a phone number that does not parse or is not valid
    │   ├── InvalidCoupon       422  a coupon code with a wrong check character, or unknown
    │   ├── CodeRefused         422  a one-time code that is wrong, used, expired or missing
    │   ├── CertificateNotAccepted 422  a gift certificate sold or tendered in a store its
    │   │                            series does not list
    │   └── InvalidRows         422  an import file with bad rows (``problems`` lists each
    │                                row's number, column and reason; nothing was written)
    ├── NotFound                404  unknown id, or an id of another tenant
    ├── Unauthorized            401  missing, unknown or revoked key
    ├── Forbidden               403  a key or role that may not do this
    ├── TooManyAttempts         429  too many wrong coupon codes from one till, or one-time
    │                                codes asked for one number or till (Retry-After)
    ├── PayloadTooLarge         413  a request body past the configured cap
    ├── Unavailable             503  the database could not serve the request just now
    │                                (unreachable, locked past the timeout, a deadlock
    │                                chosen as victim): nothing was written (Retry-After)
    └── Conflict                409  the request is valid but the state refuses it
        ├── IdempotencyMismatch      a key reused with a different request body
        ├── ReceiptConflict          a receipt id reused with a different basket
        ├── InsufficientPoints       spending more than the spendable balance
        ├── RedemptionRefused        a spend the redemption policy does not allow
        ├── RefundRefused            a refund beyond what the receipt has left
        ├── VoidRefused              a void outside its window or of a refunded receipt
        ├── DuplicateIdentifier      a phone or card that already belongs to a member
        ├── RewardRefused            a catalogue reward this member cannot claim now (its
        │                            stock, validity, store, level, points or basket)
        └── CouponRefused            a real coupon code that cannot be used on this receipt
            ├── CouponUsed               every use of the code is taken (or held by a till)
            ├── CouponExpired            past the series' last valid day
            ├── CouponNotYetValid        before the series' first valid day
            └── CouponNotYours           bound to another member
"""

from __future__ import annotations


class RegularsError(Exception):
    """Base of every error a caller may handle; ``code`` is stable across releases."""

    code = "error"
    status = 400

    def __init__(self, detail: str, *, field: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        """``detail`` may be a template with ``%(name)s`` placeholders filled from ``params``:
        the API shows the filled text, and the pages translate the template before filling
        it, so a message with numbers in it still reads in the reader's language."""
        text = detail % params if params else detail
        super().__init__(text)
        self.detail = text
        self.template = detail
        self.params = params or {}
        self.field = field


class InvalidInput(RegularsError):
    code = "invalid_input"
    status = 422


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class CodeRefused(InvalidInput):
    code = "code_refused"


class CertificateNotAccepted(InvalidInput):
    code = "certificate_not_accepted"


class InvalidRows(InvalidInput):
    code = "invalid_rows"

    def __init__(self, detail: str, *, problems: list[tuple[int, str, str]],
                 field: str | None = "file", params: dict[str, object] | None = None,
                 reasons: list[tuple[str, dict[str, object]]] | None = None) -> None:
        super().__init__(detail, field=field, params=params)
        self.problems = problems
        """(row number, column, reason) of each bad row's cells, in file order."""
        self.reasons = reasons or [(reason, {}) for _, _, reason in problems]
        """Each problem's reason as a template and its values, for a page to translate."""


class NotFound(RegularsError):
    code = "not_found"
    status = 404


class Unauthorized(RegularsError):
    code = "unauthorized"
    status = 401


class Forbidden(RegularsError):
    code = "forbidden"
    status = 403


class Conflict(RegularsError):
    code = "conflict"
    status = 409


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class ReceiptConflict(Conflict):
    code = "receipt_conflict"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class RedemptionRefused(Conflict):
    code = "redemption_refused"


class RefundRefused(Conflict):
    code = "refund_refused"


class VoidRefused(Conflict):
    code = "void_refused"


class DuplicateIdentifier(Conflict):
    code = "duplicate_identifier"


class RewardRefused(Conflict):
    code = "reward_refused"


class InvalidCoupon(InvalidInput):
    code = "invalid_coupon"


class TooManyAttempts(RegularsError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int,
                 field: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(detail, field=field, params=params)
        self.retry_after_seconds = retry_after_seconds


class PayloadTooLarge(RegularsError):
    """A request body larger than ``REGULARS_MAX_BODY_BYTES``: nothing was read past it."""

    code = "payload_too_large"
    status = 413


class Unavailable(RegularsError):
    """Nothing was written; the same request (same Idempotency-Key) may be sent again."""

    code = "unavailable"
    status = 503

    def __init__(self, detail: str, *, reason: str = "", retry_after_seconds: int = 1) -> None:
        super().__init__(detail)
        self.reason = reason
        """What the database said (for logs and the readiness check, not for callers)."""
        self.retry_after_seconds = retry_after_seconds


class CouponRefused(Conflict):
    code = "coupon_refused"


class CouponUsed(CouponRefused):
    code = "coupon_used"


class CouponExpired(CouponRefused):
    code = "coupon_expired"


class CouponNotYetValid(CouponRefused):
    code = "coupon_not_yet_valid"


class CouponNotYours(CouponRefused):
    code = "coupon_not_yours"
