"""Community groups: organisers, members, invitations, join requests and the officer's badge."""
