"""Consultations: the council's questions, secret ballots and tallies (to come)."""
