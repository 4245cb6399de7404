"""The store's schema, once, in SQLAlchemy Core: the tables of the newest migration.

Invariants: the `alerts` columns are `ALERT_FIELDS` in order, then `updated_at`; at most
one alert per key is active (open or acknowledged), kept by a partial unique index on
SQLite and PostgreSQL alike. A change here is a new migration in `migrations/versions`
(`alembic revision --autogenerate`, see docs/store.md); a test checks that the
migrations make exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)

metadata = MetaData()

_ACTIVE = text("state IN ('open', 'acknowledged')")

alerts = Table(
    "alerts", metadata,
    Column("id", Text, primary_key=True),
    Column("key", Text, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("site", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("zone", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("latching", Integer, nullable=False),
    Column("drill", Integer, nullable=False),
    Column("raised_at", Float, nullable=False),
    Column("last_event_at", Float, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("channels", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("receipts", Text, nullable=False),
    Column("escalation", Text, nullable=False, server_default="[]",
           comment="JSON list of escalation steps"),
    Column("escalation_level", Integer, nullable=False, server_default="0",
           comment="how many of them were applied"),
    Column("sop", Text, nullable=False, server_default="",
           comment="the procedure the rule names"),
    Column("cleared_unseen", Integer, nullable=False, server_default="0",
           comment="cleared by itself before anyone acknowledged it"),
    # how operators work it (migration 0006)
    Column("title_en", Text, nullable=False, server_default=""),
    Column("sop_id", Text, nullable=False, server_default="",
           comment="the procedure of its checklist"),
    Column("sop_version", Integer, nullable=False, server_default="0"),
    Column("owner", Text, nullable=False, server_default="",
           comment="who claimed it"),
    Column("snoozed_until", Float),
    Column("closure", Text, comment="why it was resolved"),
    Column("checklist", Text, nullable=False, server_default="[]",
           comment="JSON list of steps with their answers"),
    Column("dispatches", Text, nullable=False, server_default="[]",
           comment="JSON list of who was sent"),
    Column("linkage", Text, nullable=False, server_default="[]",
           comment="JSON list of the statuses linkage platforms sent back (0007)"),
    Column("updated_at", Float, nullable=False),
    Index("alerts_active_key", "key", unique=True, sqlite_where=_ACTIVE,
          postgresql_where=_ACTIVE),
    Index("alerts_raised", "raised_at"),
)

alert_history = Table(
    "alert_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Text, ForeignKey("alerts.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("action", Text, nullable=False),
    Column("from_state", Text),
    Column("to_state", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("severity", Text, nullable=False, server_default=""),
    Column("queued_to", Text, nullable=False, server_default="[]"),
    Index("alert_history_alert", "alert_id"),
    sqlite_autoincrement=True,
)

_PENDING = text("delivered_at IS NULL")

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Text, ForeignKey("alerts.id"), nullable=False),
    Column("channel", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("body", Text, nullable=False, comment="AlertRevision.to_json() of the revision"),
    Column("created_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("delivered_at", Float),
    Column("receipt_id", Text),
    Column("rejected_at", Float, comment="refused for good by the receiver: parked"),
    Index("outbox_pending", "channel", "id", sqlite_where=_PENDING,
          postgresql_where=_PENDING),
    sqlite_autoincrement=True,
)

_OPEN = text("closed = 0")

modes = Table(
    "modes", metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("zone", Text),
    Column("device_id", Text),
    Column("starts", Float, nullable=False),
    Column("until", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("ended_at", Float),
    Column("ended_by", Text),
    Column("closed", Integer, nullable=False, server_default="0"),
    Index("modes_open", "until", sqlite_where=_OPEN, postgresql_where=_OPEN),
)

mode_audit = Table(
    "mode_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mode_id", Text, ForeignKey("modes.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("change", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False),
    Index("mode_audit_mode", "mode_id"),
    sqlite_autoincrement=True,
)

rule_held = Table(
    "rule_held", metadata,
    Column("key", Text, primary_key=True),
    Column("since", Float, nullable=False),
    Column("active", Integer, nullable=False),
    Column("vals", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("name", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False, comment="Argon2id"),
    Column("disabled", Integer, nullable=False, server_default="0"),
    Column("language", Text, nullable=False, server_default="zh-CN"),
    Column("created_at", Float, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("id_hash", Text, primary_key=True, comment="SHA-256 of the cookie's session id"),
    Column("user_name", Text, ForeignKey("users.name"), nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("address", Text, nullable=False),
    Column("revoked_at", Float),
    Index("sessions_user", "user_name"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True, comment="SHA-256 of the token"),
    Column("created_at", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("revoked_at", Float),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False, comment="JSON"),
    Column("address", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

sops = Table(
    "sops", metadata,
    Column("id", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("body", Text, nullable=False, comment="JSON: title, title_en, category, steps"),
    Column("edited_by", Text, nullable=False),
    Column("edited_at", Float, nullable=False),
)

handovers = Table(
    "handovers", metadata,
    Column("id", Text, primary_key=True),
    Column("from_user", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("open", Text, nullable=False, comment="JSON list of alert ids"),
    Column("claimed", Text, nullable=False, comment="JSON list of alert ids"),
    Column("snoozed", Text, nullable=False, comment="JSON list of alert ids"),
    Column("accepted_by", Text),
    Column("accepted_at", Float),
    Column("accept_note", Text, nullable=False, server_default=""),
    Index("handovers_at", "at"),
)

linkage_inbox = Table(
    "linkage_inbox", metadata,
    Column("channel", Text, primary_key=True),
    Column("key", Text, primary_key=True, comment="the platform's own idempotency key"),
    Column("alert_id", Text, nullable=False),
    Column("received_at", Float, nullable=False),
)

# The hazard register (migration 0008): 排查、登记、整改、报告、销账.
hazards = Table(
    "hazards", metadata,
    Column("id", Text, primary_key=True, comment="HZ-<year>-<number>"),
    Column("source", Text, nullable=False, comment="alert, patrol, inspection or rule"),
    Column("alert_id", Text, nullable=False, server_default="",
           comment="the alert it was made from, if any"),
    Column("inspection_id", Text, nullable=False, server_default=""),
    Column("zone", Text, nullable=False),
    Column("plan", Text, nullable=False, server_default="",
           comment="the floor plan it is pinned on, with x and y"),
    Column("x", Float),
    Column("y", Float),
    Column("category", Text, nullable=False),
    Column("level", Text, nullable=False, comment="general or major"),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("found_by", Text, nullable=False),
    Column("found_at", Float, nullable=False),
    Column("responsible", Text, nullable=False, comment="the person who fixes it"),
    Column("deadline", Float, nullable=False),
    Column("fix_plan", Text, nullable=False, server_default=""),
    Column("state", Text, nullable=False),
    Column("fixed_by", Text),
    Column("fixed_at", Float),
    Column("fix_note", Text, nullable=False, server_default=""),
    Column("verified_by", Text),
    Column("verified_at", Float),
    Column("closed_by", Text),
    Column("closed_at", Float),
    Column("reviewed_by", Text),
    Column("reviewed_at", Float),
    Column("reopened", Integer, nullable=False, server_default="0"),
    Column("escalation_level", Integer, nullable=False, server_default="0",
           comment="0 none, 1 the responsible person's supervisor, 2 the principal"),
    Column("updated_at", Float, nullable=False),
    Index("hazards_state", "state"),
    Index("hazards_found", "found_at"),
)

hazard_steps = Table(
    "hazard_steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hazard_id", Text, ForeignKey("hazards.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("state", Text, nullable=False, comment="the state after the step"),
    Column("note", Text, nullable=False, server_default=""),
    Index("hazard_steps_hazard", "hazard_id"),
)

hazard_files = Table(
    "hazard_files", metadata,
    Column("id", Text, primary_key=True),
    Column("hazard_id", Text, ForeignKey("hazards.id"), nullable=False),
    Column("stage", Text, nullable=False, comment="found, fix or verify"),
    Column("name", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", Float, nullable=False),
    Index("hazard_files_hazard", "hazard_id"),
)

inspections = Table(
    "inspections", metadata,
    Column("id", Text, primary_key=True, comment="the quarter, e.g. 2026-Q4"),
    Column("due", Float, nullable=False),
    Column("checklist", Text, nullable=False, comment="JSON: category -> finding"),
    Column("completed_by", Text),
    Column("completed_at", Float),
)

# Drills as planned and reported (migration 0009); their start and end are their mode's.
drills = Table(
    "drills", metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False,
           comment="comprehensive, fire, anti_terror, food_safety, flood or night"),
    Column("title", Text, nullable=False),
    Column("zone", Text, comment="none: the whole site"),
    Column("planned_start", Float, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("expected_participants", Integer, nullable=False, server_default="0"),
    Column("lead", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False, comment="config or console"),
    Column("planned_by", Text, nullable=False),
    Column("mode_id", Text, nullable=False, server_default="",
           comment="the drill mode it ran in: its start and end"),
    Column("evacuation_s", Float, comment="entered by the drill lead"),
    Column("participants", Integer),
    Column("notes", Text, nullable=False, server_default=""),
    Column("updated_at", Float, nullable=False),
    Index("drills_planned", "planned_start"),
)

# What the statistics read device outages by (migration 0009).
Index("alerts_category_updated", alerts.c.category, alerts.c.updated_at)
