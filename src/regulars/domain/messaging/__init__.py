"""Pure rules of outbound messages and webhooks: retry schedules, signatures, addresses."""
