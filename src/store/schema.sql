CREATE TABLE IF NOT EXISTS runs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    as_of           TEXT NOT NULL,
    scope           TEXT NOT NULL,
    tool_version    TEXT NOT NULL,
    complete        INTEGER NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    findings        INTEGER,
    open_findings   INTEGER,
    manifest        TEXT
);
CREATE TABLE IF NOT EXISTS snapshots (
    sha256   TEXT PRIMARY KEY,
    bytes    INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    data     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    id         TEXT NOT NULL,
    rule       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    status     TEXT NOT NULL,
    principal  TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    project_id TEXT,
    title      TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS last_seen (
    principal   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    run_id      INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE IF NOT EXISTS log_days (
    project_id TEXT NOT NULL,
    cluster    TEXT NOT NULL,
    day        TEXT NOT NULL,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (project_id, cluster, day)
);
CREATE TABLE IF NOT EXISTS log_reads (
    project_id TEXT NOT NULL,
    cluster    TEXT NOT NULL,
    read_at    TEXT NOT NULL,
    start      TEXT NOT NULL,
    entries    INTEGER NOT NULL,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (project_id, cluster, read_at)
);
CREATE TABLE IF NOT EXISTS attestations (
    id              INTEGER PRIMARY KEY,
    recorded_at     TEXT NOT NULL,
    report_digest   TEXT NOT NULL,
    as_of           TEXT NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    decided         INTEGER NOT NULL,
    undecided       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attestation_workbooks (
    attestation_id INTEGER NOT NULL REFERENCES attestations(id),
    name           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    PRIMARY KEY (attestation_id, name)
);
CREATE TABLE IF NOT EXISTS decisions (
    attestation_id INTEGER NOT NULL REFERENCES attestations(id),
    grant_id       TEXT NOT NULL,
    principal      TEXT NOT NULL,
    scope          TEXT NOT NULL,
    role           TEXT NOT NULL,
    via            TEXT NOT NULL,
    decision       TEXT NOT NULL,
    modify_to      TEXT NOT NULL,
    reviewer       TEXT NOT NULL,
    date           TEXT NOT NULL,
    comment        TEXT NOT NULL,
    workbook       TEXT NOT NULL,
    sheet          TEXT NOT NULL,
    row            INTEGER NOT NULL,
    PRIMARY KEY (attestation_id, grant_id)
);
CREATE TABLE IF NOT EXISTS db_logins (
    project_id  TEXT NOT NULL,
    cluster     TEXT NOT NULL,
    username    TEXT NOT NULL,
    auth_source TEXT NOT NULL,
    at          TEXT NOT NULL,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    PRIMARY KEY (project_id, cluster, username, auth_source, at)
);
