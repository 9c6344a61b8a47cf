"""The data model, one module per aggregate (see docs/design.md)."""

from .alerts import AlertDelivery, AlertLog, AlertLogKind, DeliveryChannel, DeliveryStatus
from .brand import LOGO_EXTENSIONS, Brand, LogoType
from .campaigns import Campaign, CampaignTrigger
from .choices import AlertCheck, AlertPercentile, Comparison, Language, Metric, Priority
from .followups import FollowUpEmail
from .goals import AlertRule, ImprovementAction, ImprovementStatus, Target
from .helpdesk_connections import HelpdeskConnection, HelpdeskKind
from .invitations import Invitation, InvitationStatus, SuppressionReason, new_token
from .organisation import Agent, Customer, SLAPolicy, Team
from .questionnaires import (
    CHOICE_KINDS,
    SCALE_KINDS,
    SCALE_RANGES,
    Dimension,
    Question,
    QuestionKind,
    Questionnaire,
)
from .responses import (
    COMMENT,
    TEXT_ANSWER_MAX,
    Answer,
    FollowUp,
    FollowUpOutcome,
    FollowUpReason,
    FollowUpStatus,
    ImportSource,
    Response,
)
from .scanner import ClickReason, ClickSource, ClickVerdict, ScoreClick
from .tickets import Ticket, TicketEvent, TicketEventStatus, TicketEventType, TicketStatus

__all__ = [
    "CHOICE_KINDS",
    "COMMENT",
    "SCALE_KINDS",
    "SCALE_RANGES",
    "TEXT_ANSWER_MAX",
    "Agent",
    "AlertCheck",
    "AlertDelivery",
    "AlertLog",
    "AlertLogKind",
    "AlertPercentile",
    "AlertRule",
    "Answer",
    "Brand",
    "Campaign",
    "ClickReason",
    "ClickSource",
    "ClickVerdict",
    "CampaignTrigger",
    "Comparison",
    "Customer",
    "DeliveryChannel",
    "DeliveryStatus",
    "Dimension",
    "FollowUp",
    "FollowUpEmail",
    "FollowUpOutcome",
    "FollowUpReason",
    "FollowUpStatus",
    "HelpdeskConnection",
    "HelpdeskKind",
    "ImprovementAction",
    "ImprovementStatus",
    "Invitation",
    "InvitationStatus",
    "LOGO_EXTENSIONS",
    "Language",
    "LogoType",
    "Metric",
    "Priority",
    "Question",
    "QuestionKind",
    "Questionnaire",
    "Response",
    "SLAPolicy",
    "ScoreClick",
    "SuppressionReason",
    "Target",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketEventStatus",
    "TicketEventType",
    "TicketStatus",
    "new_token",
]

# --- Reports (issue 5) ---
from .reporting import ApiToken, DataExport, ExportFormat, ExportKind  # noqa: E402
from .rollups import FunnelDay, InvitationDay, ResponseDay, RollupState, TicketDay, TicketFact, TicketTimeDay  # noqa

__all__ += ["ApiToken", "DataExport", "ExportFormat", "ExportKind", "ImportSource"]

# --- Outbound events (issue 17) ---
from .outbound import OutboundEvent, WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription  # noqa: E402

__all__ += ["OutboundEvent", "WebhookDelivery", "WebhookDeliveryStatus", "WebhookSubscription"]
