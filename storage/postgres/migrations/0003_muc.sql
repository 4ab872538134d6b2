-- Persistent multi-user chat rooms (XEP-0045, storage/rooms.go) and their
-- affiliations. config is the MUC service's own serialization (JSON); the
-- store keeps it as it came. DeleteRoom removes a room's affiliation rows
-- in the transaction that removes the room. COLLATE "C" orders by bytes.
CREATE TABLE muc_rooms (
    service    TEXT  COLLATE "C" NOT NULL,
    name       TEXT  COLLATE "C" NOT NULL,
    config     BYTEA NOT NULL,
    subject    TEXT  NOT NULL DEFAULT '',
    subject_by TEXT  NOT NULL DEFAULT '',
    PRIMARY KEY (service, name)
);

CREATE TABLE muc_affiliations (
    service     TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    jid         TEXT COLLATE "C" NOT NULL,
    affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast', 'none')),
    reason      TEXT NOT NULL DEFAULT '',
    nick        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service, name, jid)
);
