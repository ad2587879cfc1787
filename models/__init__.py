"""The SQL index: typed SQLAlchemy models and database access, usable from any process."""

from sqlalchemy.orm import Session  # what Database.session() gives, for callers' annotations

from models.alerts import AlertEvent, JobRun, OutboxMessage
from models.base import Base
from models.cases import Article, Case, CaseTerm, CaseUpdate, Source
from models.database import Database, DatabaseError
from models.document import Citation, Document, Target
from models.evidence import EvidenceFile
from models.snapshot import CrawlRun, Probe, Snapshot
from models.subscriptions import Recipient, RecipientEvent, Subscription
from models.users import User
from models.workers import Worker

__all__ = [
    "AlertEvent",
    "Article",
    "Base",
    "Case",
    "CaseTerm",
    "CaseUpdate",
    "Citation",
    "CrawlRun",
    "Database",
    "DatabaseError",
    "Document",
    "EvidenceFile",
    "JobRun",
    "OutboxMessage",
    "Probe",
    "Recipient",
    "RecipientEvent",
    "Session",
    "Snapshot",
    "Source",
    "Subscription",
    "Target",
    "User",
    "Worker",
]
