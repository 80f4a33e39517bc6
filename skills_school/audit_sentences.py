"""The audit log's words for the skills school's officer actions (``Domain.audit_sentences``): what the officer
did, read before the object's name — "Ada Admin revoked the certificate K7Q-2M9"."""

SENTENCES = {
    "school.course_published": "published the course",
    "school.course_unpublished": "unpublished the course",
    "school.certificate_revoked": "revoked the certificate",
}
