"""The local enterprise census: register import, review queue and coverage (issue #14)."""
