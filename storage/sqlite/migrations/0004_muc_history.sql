-- The discussion history of persistent multi-user chat rooms (XEP-0045
-- §7.2.15, storage/rooms.go), so that a restart keeps it. The MUC service
-- replaces a room's rows in one transaction (SetRoomHistory), seq 0 being
-- the oldest; DeleteRoom removes them with the room. at is Unix
-- microseconds; stanza is the message as the room broadcast it.
CREATE TABLE muc_history (
    service TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    stanza  BLOB    NOT NULL,
    PRIMARY KEY (service, name, seq)
) STRICT, WITHOUT ROWID;
