"""Civic: the core of the platform (accounts, spaces, moderation, groups...).

The core never imports a domain package; domains register themselves through
:mod:`civic.resources` and are loaded by name in :func:`civic.app.create_app`.
"""
