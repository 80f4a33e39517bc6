"""Proposals: residents' SMART projects, supports, official answers, endorsements (issue #4)."""
