"""The audit log's words for the consultations' officer actions (``Domain.audit_sentences``): what the officer did,
read before the object's name — "Ada Admin created the budget Green streets 2027"."""

SENTENCES = {
    "consultation.create": "created the consultation",
    "consultation.update": "edited the consultation",
    "consultation.add_question": "added to a consultation the question",
    "consultation.update_question": "edited, in a consultation, the question",
    "consultation.remove_question": "removed from a consultation the question",
    "consultation.publish": "published the consultation",
    "consultation.extend": "extended the voting period of the consultation",
    "consultation.paper_ballot": "entered a paper ballot in the consultation",
    "budget.create": "created the budget",
    "budget.update": "edited the budget",
    "budget.publish": "published the budget",
    "budget.add_project": "added to a budget the project",
    "budget.add_project_from_source": "added to a budget, from an accepted proposal or other source, the project",
    "budget.update_project": "edited, in a budget, the project",
    "budget.remove_project": "removed from a budget the project",
    "budget.choose_outcome": "chose the official outcome of the budget",
}
