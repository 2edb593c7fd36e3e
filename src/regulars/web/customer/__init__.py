"""The customer page: what a member sees on their phone under ``/c/{tenant_id}``.

``access`` signs members in with a one-time code (and out), switches the language and shows
the referral join page; ``account`` shows the signed-in member's own data: home with the QR
card, history, receipts, coupons, wallet, referral, profile and the data download;
``gift`` the public balance page of a gift certificate; ``rewards`` the rewards catalogue
and claims in advance; ``brand`` the business's stylesheet of colours and its logo;
``feedback`` rating a visit and the questions and answers;
``messages`` the one-click unsubscribe page of marketing messages.
"""

from __future__ import annotations

from fastapi import APIRouter

from regulars.web.customer import access, account, brand, feedback, gift, messages, rewards

router = APIRouter(prefix="/c", include_in_schema=False)
router.include_router(messages.router)
router.include_router(brand.router)
router.include_router(access.router)
router.include_router(account.router)
router.include_router(gift.router)
router.include_router(rewards.router)
router.include_router(feedback.router)
