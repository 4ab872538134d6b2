-- Persistent multi-user chat rooms (XEP-0045, storage/rooms.go) and their
-- affiliations. config is the MUC service's own serialization (JSON); the
-- store keeps it as it came. Affiliation rows outlive nothing: DeleteRoom
-- removes them in the transaction that removes the room.
CREATE TABLE muc_rooms (
    service    TEXT NOT NULL,
    name       TEXT NOT NULL,
    config     BLOB NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    subject_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE muc_affiliations (
    service     TEXT NOT NULL,
    name        TEXT NOT NULL,
    jid         TEXT NOT NULL,
    affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast', 'none')),
    reason      TEXT NOT NULL DEFAULT '',
    nick        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service, name, jid)
) STRICT, WITHOUT ROWID;
