"""Data files shipped with Civic (common passwords, demo postcode sectors)."""
