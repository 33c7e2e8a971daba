"""The tables, one module per area. Names follow the glossary of ARCHITECTURE.md; no queries and no Flask."""

from feedback.models.base import (  # noqa: F401  (base first: it sets the constraint naming convention)
    Channel, ClassifiedBy, Priority, Role, TicketStatus, json_column, utc_column,
)
from feedback.models.people import ApiToken, Department, Throttle, User  # noqa: F401
from feedback.models.taxonomy import KPI, Category, KPIValue, SlaRule  # noqa: F401
from feedback.models.intake import (  # noqa: F401
    Attachment, ColumnMapping, Feedback, FeedbackEvent, ImportRun, MailboxState, Product, Quarantine,
)
from feedback.models.tickets import Ticket, TicketEvent, TicketWord  # noqa: F401
from feedback.models.reports import Bulletin, BulletinRevision, JobRun, Project, WeeklyReview  # noqa: F401
from feedback.models.review import CarryOver, ProjectTicket, SignOff  # noqa: F401
from feedback.models.playbooks import PlaybookProposal, PlaybookVersion, ReplyTemplate  # noqa: F401
from feedback.models.outbox import Outbox  # noqa: F401
from feedback.models.audit import AuditEvent  # noqa: F401
