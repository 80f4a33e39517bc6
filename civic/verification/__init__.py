"""Residency verification: a hashed residents register, self-service matching and manual review."""
