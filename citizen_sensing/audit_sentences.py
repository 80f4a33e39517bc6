"""The audit log's words for citizen sensing's actions (``Domain.audit_sentences``): what the person did, read
before the object's name — "Ada Admin approved the sensing campaign Damp homes in Leith"."""

SENTENCES = {
    "sensing.campaign_proposed": "proposed the sensing campaign",
    "sensing.campaign_approved": "approved the sensing campaign",
    "sensing.campaign_rejected": "rejected the sensing campaign",
    "sensing.quantity_added": "added the measured quantity",
    "sensing.report_published": "published the report of the sensing campaign",
    "sensing.finding_submitted": "submitted to the council the finding",
    "sensing.finding_answered": "answered the finding",
    "sensing.finding_made": "made a council item from the finding",
    "sensing.reading_flagged": "flagged as doubtful a reading of",
    "sensing.reading_unflagged": "removed the doubtful flag from a reading of",
    "sensing.alert_rule_added": "added the alert rule",
    "sensing.alert_rule_on": "switched on the alert rule",
    "sensing.alert_rule_off": "switched off the alert rule",
}
