"""Imports every table so that the metadata, Alembic and the whole-record checker see them all."""

from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.claims.models import Claim
from truce.db import Base
from truce.events.models import AlertRule, Attempt, Event, Subscription  # noqa: F401 - events out: only rules logged
from truce.evidence.models import (  # noqa: F401 - the store's tables are storage, never logged
    Custody,
    Evidence,
    EvidenceBlob,
    EvidenceBlobChunk,
    EvidenceChunk,
)
from truce.idempotency.models import IdempotencyKey  # noqa: F401 - delivery state, never logged
from truce.incidents.models import Incident, Verification
from truce.jobs.models import Job  # noqa: F401 - work asked for; what it makes logs itself
from truce.ledger.models import Checkpoint, Cosignature, LogEntry, LogHead, LogNode, Witness, WitnessPolicy
from truce.missions.models import Delegation, Deployment, Mission, Party
from truce.movements.models import Exchange, ExchangeList, Movement
from truce.openrosa.models import Device, DigestNonceUse, Submission  # noqa: F401 - DigestNonceUse: login state
from truce.patrols.models import Patrol, Track
from truce.places.models import Area, Line, PlaceVersion, Site  # noqa: F401 - PlaceVersion: kept by triggers, never logged
from truce.reports.models import Report
from truce.restrictions.models import Restriction, RestrictionVerdict, UavFlight
from truce.users.models import DigestSecret, LoginAttempt, Membership, User  # noqa: F401 - login state, never logged
from truce.web.models import WebSession  # noqa: F401 - login state, registered here but never logged

# Tables whose rows the log must account for, one entry per write: exactly the models declared `Logged`
# (tests/integrity/test_logged_tables.py), in the order `truce log verify` checks and reports them.
LOGGED = (
    Mission,
    Party,
    Delegation,
    User,
    Membership,
    Area,
    Line,
    Site,
    Deployment,
    Witness,
    WitnessPolicy,
    Incident,
    Verification,
    Evidence,
    Custody,
    Provision,
    ProvisionStatus,
    DeadlineExtension,
    Movement,
    Exchange,
    ExchangeList,
    Claim,
    Device,
    Submission,
    Report,
    AlertRule,
    Patrol,
    Track,
    UavFlight,
    Restriction,
    RestrictionVerdict,
)
LEDGER = (LogEntry, LogNode, LogHead, Checkpoint, Cosignature)

__all__ = ["LEDGER", "LOGGED", "Base"]
