"""Citizen sensing: campaigns, devices, readings ingest, aggregates and open data (to come)."""
