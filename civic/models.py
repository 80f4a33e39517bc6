"""Imports every core model so Base.metadata is complete (for Alembic and the migration check)."""

from civic.accounts.models import (
    ApiToken,
    OAuthApp,
    OAuthCode,
    OAuthToken,
    RoleInvitation,
    SigninFailure,
    User,
    UserIdentity,
    UserRole,
)
from civic.audit import AuditEntry
from civic.canned import CannedText
from civic.comments.models import Comment, CommentVote
from civic.groups.models import Group, Membership
from civic.idempotency import IdempotencyKey
from civic.jobs.models import JobFailure
from civic.moderation.models import Appeal, Block, Moderation, Report
from civic.notifications.models import (
    AlertProgramme,
    AlertWard,
    DigestRun,
    Follow,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationSettings,
)
from civic.resources import ResourceLink
from civic.schedule.models import ScheduledTask
from civic.search.models import SearchDocument, SearchQueue
from civic.spaces.models import Phase, PhaseAction, PostcodeSector, Process, ProcessWard, Programme, Ward
from civic.uploads import UploadFile
from civic.verification.models import RegisterEntry, RegisterUpload, VerificationAttempt, VerificationRequest

__all__ = [
    "IdempotencyKey", "ScheduledTask", "SearchQueue", "OAuthApp", "OAuthCode", "OAuthToken",
    "AlertProgramme", "AlertWard", "DigestRun", "Follow", "JobFailure", "Notification", "NotificationEvent",
    "NotificationPreference", "NotificationSettings",
    "ApiToken", "Comment", "CommentVote", "Phase", "PhaseAction", "Process", "ProcessWard",
    "Appeal", "Block", "Moderation", "Report",
    "AuditEntry", "CannedText", "Group", "Membership", "PostcodeSector", "Programme", "RegisterEntry", "RegisterUpload",
    "RoleInvitation",
    "SigninFailure", "User", "UserIdentity", "UserRole", "VerificationAttempt", "VerificationRequest", "Ward",
]
__all__ += ["SearchDocument", "UploadFile"]  # (issue 22: the PostgreSQL search index, the database upload store)
__all__ += ["ResourceLink"]  # (issue 20: links between objects of two domains, a finding and its proposal)
