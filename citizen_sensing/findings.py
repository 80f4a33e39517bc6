"""Results for the council: the campaign's report, the findings its organisers submit, the council's answer, and a
finding turned into something of another domain (a proposal) through the core's registry.

- Organisers of the campaign's group (and nobody else, not even administrators: it is the group's voice) write
  the report, publish it and submit findings; the campaign must be approved and its report published.
- Officers answer a finding as they answer a proposal: being evaluated, accepted or rejected, always with a text
  residents read; audit-logged; ``sensing.finding_answered`` tells the campaign's followers and the organiser who
  submitted it.
- "Turn into a proposal": an organiser of the campaign's group picks a target that a *creatable* resource type
  offers (``civic.resources.CreationHooks``: the processes open for proposals) and a ward; the proposal is
  theirs, published under the process's own rules, and the two are tied by ``civic.resources.link``. This
  package never imports proposals: it knows only the registry. A finding becomes at most one object of each type.

Every write checks the policy here and flushes; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen_sensing import reports
from citizen_sensing.findings_models import Finding, Report
from citizen_sensing.models import Campaign
from citizen_sensing.policy import organises, visible
from civic import canned, events, policy, resources
from civic.audit import audit
from civic.db import Page, db, paginate, utcnow
from civic.errors import NotFound, PermissionDenied, RuleViolation
from civic.web import digits
from civic.workqueues import WorkQueue

TYPE = "sensing_finding"
TITLE_MAX = 150
SUMMARY_MAX = 10_000
ANSWER_MAX = 20_000
#: The one name of each state, for pages, forms and notices.
ANSWER_LABELS = {
    "not_answered": "Not answered yet",
    "evaluating": "Being evaluated",
    "accepted": "Accepted",
    "rejected": "Rejected",
}
#: The states an officer may set (an answer always has a text).
ANSWERS = ("evaluating", "accepted", "rejected")
ANSWER_TEMPLATES = "sensing.finding_answer"
canned.register_purpose(ANSWER_TEMPLATES, "Answering campaign findings",
                        "Offered when an officer answers a citizen-sensing campaign's finding; everyone reads it.")

NOT_ORGANISER = "Only the organisers of the group running this campaign can do that."


# Policy --------------------------------------------------------------------------------------------------------


def _write(user: Any, campaign: Campaign) -> bool | str:
    if not organises(user, campaign):
        return NOT_ORGANISER
    return campaign.is_public or "The campaign's results can be written once it is approved."


def _answer(user: Any, _finding: Any) -> bool | str:
    return user.is_officer or "Only council officers can answer a campaign's findings."


RULES = {"sensing.report": _write, "sensing.answer_finding": _answer}


# Reading -------------------------------------------------------------------------------------------------------


def report_of(campaign: Campaign) -> Report | None:
    return db.session.get(Report, campaign.id)


def finding_visible(user: Any, finding: Finding) -> bool:
    """Findings are as public as their campaign."""
    return visible(user, finding.campaign)


def get_finding(user: Any, finding_id: int) -> Finding:
    finding = db.session.get(Finding, finding_id)
    if finding is None or not finding_visible(user, finding):
        raise NotFound(_("We could not find that finding."))
    return finding


def findings_of(campaign: Campaign) -> list[Finding]:
    """The campaign's findings, newest first: one query (the campaign page shows them all; a campaign has few)."""
    return list(db.session.scalars(select(Finding).where(Finding.campaign_id == campaign.id)
                                   .order_by(Finding.submitted_at.desc(), Finding.id.desc())))


@dataclass
class Made:
    """What a finding became in another domain, from the link alone (no query when its page is built from
    the id)."""

    label: str
    url: str | None


def made_from(findings: list[Finding]) -> dict[int, list[Made]]:
    """What each finding became (a proposal...): one query for all the links."""
    out: dict[int, list[Made]] = {}
    for finding_id, ends in resources.link_rows(TYPE, [f.id for f in findings]).items():
        for other_type, other_id in ends:
            rt = resources.find(other_type)
            if rt is not None:
                out.setdefault(finding_id, []).append(Made(rt.label, rt.url_by_id(other_id)))
    return out


@dataclass
class Results:
    """The campaign page's section: the findings with their answers and what they became, the report's state."""

    findings: list[Finding]
    made: dict[int, list[Made]]
    report_published: bool
    labels: dict[str, str]


def results(campaign: Campaign) -> Results:
    """For the campaign page (a template global): three queries whatever the number of findings."""
    found = findings_of(campaign)
    report = report_of(campaign)
    return Results(found, made_from(found), report is not None and report.is_published, ANSWER_LABELS)


def _awaiting():
    return (Finding.answer_state == "not_answered",)


def awaiting_list(page: int, per_page: int = 20) -> Page:
    """Findings of public campaigns waiting for an answer, oldest first (campaigns joined: a fixed number of
    queries)."""
    return paginate(select(Finding).join(Campaign, Campaign.id == Finding.campaign_id)
                    .where(*_awaiting(), Campaign.hidden_at.is_(None))
                    .order_by(Finding.submitted_at, Finding.id), page, per_page)


def _awaiting_count():
    return (select(func.count(), func.min(Finding.submitted_at)).join(Campaign, Campaign.id == Finding.campaign_id)
            .where(*_awaiting(), Campaign.hidden_at.is_(None)))


WORK_QUEUES = (
    WorkQueue("sensing.findings", "sensing.answer_finding", "sensing_findings_admin.awaiting",
              "%(n)d campaign finding awaiting an answer", "%(n)d campaign findings awaiting an answer",
              _awaiting_count, position=71),
)


# The report ----------------------------------------------------------------------------------------------------


def _clean_report(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").strip()  # a browser's form sends CRLF
    if len(text) > reports.BODY_MAX:
        raise RuleViolation(_("Keep the report to %(n)s characters or fewer.", n=f"{reports.BODY_MAX:,}"),
                            field="body")
    return text


def save_draft(user: Any, campaign: Campaign, text: str | None) -> Report:
    """Keep the organisers' draft (nobody else sees it); what is published stays as it was."""
    policy.require(user, "sensing.report", campaign)
    text = _clean_report(text)
    report = report_of(campaign)
    if report is None:
        report = Report(campaign_id=campaign.id, body="")
        db.session.add(report)
    report.draft, report.updated_at, report.updated_by_id = text, utcnow(), user.id
    db.session.flush()
    return report


def publish_report(user: Any, campaign: Campaign, text: str | None) -> Report:
    """Save the draft and publish it, if every chart in it can be drawn (else the first problem, by the field)."""
    report = save_draft(user, campaign, text)
    if not report.draft:
        raise RuleViolation(_("Write the report before you publish it."), field="body")
    rendered = reports.render(campaign, report.draft, author=True)
    if rendered.errors:
        raise RuleViolation(_("Put the charts right before you publish: %(problem)s", problem=rendered.errors[0]),
                            field="body")
    before = report.body
    report.body, report.published_at, report.published_by_id = report.draft, utcnow(), user.id
    db.session.flush()
    audit(user, "sensing.report_published", "sensing_campaign", campaign.id, label=campaign.title,
          before={"body": before}, after={"body": report.body})
    return report


# Findings ------------------------------------------------------------------------------------------------------


def submit(user: Any, campaign: Campaign, title: str | None, summary: str | None) -> Finding:
    """Organisers submit findings to the council, with the report as it is published now."""
    policy.require(user, "sensing.report", campaign)
    title = " ".join((title or "").split())
    summary = (summary or "").strip()
    if not title:
        raise RuleViolation(_("Give the finding a title."), field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(_("Use at most %(n)d characters for the title.", n=TITLE_MAX), field="title")
    if not summary:
        raise RuleViolation(_("Summarise what the campaign found."), field="summary")
    if len(summary) > SUMMARY_MAX:
        raise RuleViolation(_("Keep the summary to %(n)s characters or fewer.", n=f"{SUMMARY_MAX:,}"),
                            field="summary")
    report = report_of(campaign)
    if report is None or not report.is_published:
        raise RuleViolation(_("Publish the campaign's report first: the council reads it with your findings."))
    finding = Finding(campaign_id=campaign.id, title=title, summary=summary, report=report.body,
                      submitted_by_id=user.id, submitted_at=utcnow())
    finding.campaign = campaign
    db.session.add(finding)
    db.session.flush()
    audit(user, "sensing.finding_submitted", TYPE, finding.id, label=title)
    return finding


def answer(officer: Any, finding: Finding, state: str, text: str | None) -> bool:
    """The council's answer (audit-logged; the campaign's followers are told). False when nothing changed."""
    policy.require(officer, "sensing.answer_finding", finding)
    if state not in ANSWERS:
        raise RuleViolation(_("Choose the state of the finding."), field="state")
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_("Write the answer: everyone reads it on the campaign's page."), field="text")
    if len(text) > ANSWER_MAX:
        raise RuleViolation(_("Keep the answer to %(n)s characters or fewer.", n=f"{ANSWER_MAX:,}"), field="text")
    before = {"state": finding.answer_state, "text": finding.answer_text}
    if before == {"state": state, "text": text}:
        return False
    finding.answer_state, finding.answer_text = state, text
    finding.answered_at, finding.answered_by_id = utcnow(), officer.id
    db.session.flush()
    audit(officer, "sensing.finding_answered", TYPE, finding.id, label=finding.title, before=before,
          after={"state": state, "text": text})
    events.publish("sensing.finding_answered", finding, actor_id=officer.id, state=state)
    return True


# Into another domain -------------------------------------------------------------------------------------------


def creatable() -> list[resources.ResourceType]:
    """The types another domain lets us make (proposals), by label."""
    return sorted(resources.with_capability("creatable"), key=lambda rt: rt.label)


def targets(user: Any) -> list[tuple[str, str]]:
    """Choices for the form: ``("proposal:12", "Proposal in Greener Westminster")``."""
    return [(f"{rt.name}:{ident}", _("%(what)s in %(where)s", what=rt.label, where=name))
            for rt in creatable() for ident, name in rt.creation.targets(user)]


def _target(value: str | None) -> tuple[resources.ResourceType, int]:
    name, _sep, ident = (value or "").partition(":")
    rt = resources.find(name)
    number = digits(ident)  # ASCII digits, at most a row's id
    if rt is None or rt.creation is None or not number:
        raise RuleViolation(_("Choose where to make it."), field="target")
    return rt, number


def make(user: Any, finding: Finding, target: str | None, ward_id: int | None) -> tuple[resources.ResourceType, Any]:
    """Turn the finding into an object of another domain (a proposal), by and for this organiser, linked both
    ways. Refused when the finding already became one of that type."""
    campaign = finding.campaign
    policy.require(user, "sensing.report", campaign)
    rt, ident = _target(target)
    db.session.execute(select(Finding.id).where(Finding.id == finding.id).with_for_update())  # one at a time
    if any(other_type == rt.name for other_type, _id in resources.link_rows(TYPE, [finding.id]).get(finding.id, [])):
        raise RuleViolation(_("This finding is already a %(what)s.", what=rt.label.lower()), field="target")
    seed = resources.Seed(title=finding.title, body=finding.summary, ward_id=ward_id, origin=(TYPE, finding.id))
    try:
        made = rt.creation.create(user, ident, seed)
    except RuleViolation as e:
        if e.field in ("target", "ward"):
            raise
        raise RuleViolation(_("The %(what)s could not be made from this finding: %(why)s", what=rt.label.lower(),
                              why=e.message)) from None
    except PermissionDenied as e:
        raise RuleViolation(e.message) from None
    resources.link((TYPE, finding.id), (rt.name, made.id), actor=user)
    audit(user, "sensing.finding_made", TYPE, finding.id, label=finding.title,
          after={"type": rt.name, "id": made.id, "title": rt.title_of(made)})
    return rt, made


#: Findings as a resource of the platform: their page, title and who sees them; other domains' objects link to
#: them (a proposal shows "From the campaign's finding: ...").
FINDING = resources.ResourceType(
    TYPE, Finding, "Campaign's finding", url=resources.Link("sensing_findings.show", "finding_id"),
    title=lambda f: f.title, visible=finding_visible, space=lambda f: f.campaign.group.name)
