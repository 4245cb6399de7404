CREATE TABLE IF NOT EXISTS alerts (
    id            TEXT PRIMARY KEY,
    key           TEXT NOT NULL,
    rule_id       TEXT NOT NULL,
    site          TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    zone          TEXT NOT NULL,
    category      TEXT NOT NULL,
    severity      TEXT NOT NULL,
    title         TEXT NOT NULL,
    message       TEXT NOT NULL,
    location      TEXT NOT NULL,
    state         TEXT NOT NULL,
    latching      INTEGER NOT NULL,
    drill         INTEGER NOT NULL,
    raised_at     REAL NOT NULL,
    last_event_at REAL NOT NULL,
    event_count   INTEGER NOT NULL,
    revision      INTEGER NOT NULL,
    channels      TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    receipts      TEXT NOT NULL,
    escalation    TEXT NOT NULL DEFAULT '[]',  -- JSON list of escalation steps
    escalation_level INTEGER NOT NULL DEFAULT 0,  -- how many of them were applied
    sop           TEXT NOT NULL DEFAULT '',  -- the procedure the rule names
    updated_at    REAL NOT NULL
);
-- At most one active alert per key: repeats update it instead of raising another.
CREATE UNIQUE INDEX IF NOT EXISTS alerts_active_key ON alerts(key)
    WHERE state IN ('open', 'acknowledged');
CREATE INDEX IF NOT EXISTS alerts_raised ON alerts(raised_at);

CREATE TABLE IF NOT EXISTS alert_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   TEXT NOT NULL REFERENCES alerts(id),
    at         REAL NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    note       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    severity   TEXT NOT NULL DEFAULT '',   -- the alert's severity after this change
    queued_to  TEXT NOT NULL DEFAULT '[]'  -- channels this change was queued for (JSON)
);
CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history(alert_id);

CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        TEXT NOT NULL REFERENCES alerts(id),
    channel         TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    REAL,
    receipt_id      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(channel, id) WHERE delivered_at IS NULL;

-- Drills and maintenance (gateway.modes). `closed` once ended early or its expiry recorded.
CREATE TABLE IF NOT EXISTS modes (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    zone      TEXT,
    device_id TEXT,
    starts    REAL NOT NULL,
    until     REAL NOT NULL,
    actor     TEXT NOT NULL,
    note      TEXT NOT NULL,
    action    TEXT NOT NULL,
    ended_at  REAL,
    ended_by  TEXT,
    closed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS modes_open ON modes(until) WHERE closed = 0;

CREATE TABLE IF NOT EXISTS mode_audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    mode_id TEXT NOT NULL REFERENCES modes(id),
    at      REAL NOT NULL,
    change  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mode_audit_mode ON mode_audit(mode_id);

-- Rule conditions holding with a `for:` or `during:` (rules.timers): they outlive restarts.
CREATE TABLE IF NOT EXISTS rule_held (
    key    TEXT PRIMARY KEY,
    since  REAL NOT NULL,
    active INTEGER NOT NULL,
    vals   TEXT NOT NULL
);
