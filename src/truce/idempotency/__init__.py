"""Idempotency keys: a POST repeated with the same `Idempotency-Key` answers the original record, once stored."""
