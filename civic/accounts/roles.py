"""The roles of the platform, in one place."""

RESIDENT = "resident"  # anyone signed up
VERIFIED = "verified"  # residency verified (register match or an officer's decision)
ORGANISER = "organiser"  # organiser of at least one community group (derived from memberships)
INSTRUCTOR = "instructor"
OFFICER = "officer"
ADMIN = "admin"

#: Roles stored in ``user_roles``. ``resident`` is implicit, ``organiser`` derived.
STORED = (VERIFIED, INSTRUCTOR, OFFICER, ADMIN)
#: Roles an admin grants and removes on the admin page (verification has its own flow).
GRANTABLE = (INSTRUCTOR, OFFICER, ADMIN)

LABELS = {
    RESIDENT: "Resident",
    VERIFIED: "Verified resident",
    ORGANISER: "Group organiser",
    INSTRUCTOR: "Instructor",
    OFFICER: "Council officer",
    ADMIN: "Administrator",
}
