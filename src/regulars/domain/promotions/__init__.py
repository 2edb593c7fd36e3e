"""Promotions and what targets and limits them: coupons, segments, budgets."""
