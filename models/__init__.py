"""The SQL index: typed SQLAlchemy models and database access, usable from any process."""

from models.base import Base
from models.database import Database, DatabaseError
from models.document import Citation, Document, Target
from models.snapshot import CrawlRun, Probe, Snapshot

__all__ = [
    "Base",
    "Citation",
    "CrawlRun",
    "Database",
    "DatabaseError",
    "Document",
    "Probe",
    "Snapshot",
    "Target",
]
