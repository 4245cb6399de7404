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
    revision   INTEGER NOT NULL
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
