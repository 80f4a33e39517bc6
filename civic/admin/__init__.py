"""The admin and officer pages: users and roles, the audit log (verification and groups add theirs)."""
