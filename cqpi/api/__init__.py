"""The REST API under /api/v1/: router, authentication, errors, pagination, idempotency."""
