"""Action rewards: referrals (over several levels), birthdays, profiles, events."""
