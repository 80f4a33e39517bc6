"""Threaded comments on any resource a domain registers as commentable."""
