"""Urban Data School: courses, lessons, sessions, enrolment, progress and certificates (to come)."""
