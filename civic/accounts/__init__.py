"""Accounts: users, roles, sign-up and sign-in (password and OpenID Connect)."""
