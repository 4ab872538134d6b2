-- What a server keeps per user beyond the account (storage/im.go): roster
-- and its XEP-0237 version, offline messages, vCard, private XML, block
-- list and last activity.
--
-- No table references users: with an external credential backend the
-- account is not in users at all. DeleteUser removes an account's rows
-- from each of these tables, listed in userTables (sqlite.go), in the
-- transaction that removes the account. Every table is keyed by
-- (host, username) first, so those deletes and the per-user reads are
-- B-tree range scans. BINARY collation (the default) compares and sorts
-- by bytes, which is the order the interfaces promise.

-- One row per contact. groups is a JSON array of strings, sorted and
-- without duplicates (the backend writes it so), readable with json_each.
CREATE TABLE roster_items (
    host         TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    contact      TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    subscription TEXT    NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
    ask          INTEGER NOT NULL DEFAULT 0 CHECK (ask IN (0, 1)),
    pending_in   INTEGER NOT NULL DEFAULT 0 CHECK (pending_in IN (0, 1)),
    pre_approved INTEGER NOT NULL DEFAULT 0 CHECK (pre_approved IN (0, 1)),
    groups       TEXT    NOT NULL DEFAULT '[]' CHECK (json_type(groups) = 'array'),
    in_stanza    BLOB,
    PRIMARY KEY (host, username, contact)
) STRICT, WITHOUT ROWID;

-- The roster version of XEP-0237: a counter per user, written in the
-- transaction of every roster change. A user without a row has version "".
-- Every user with roster items has a row.
CREATE TABLE roster_versions (
    host     TEXT    NOT NULL,
    username TEXT    NOT NULL,
    version  INTEGER NOT NULL CHECK (version > 0),
    PRIMARY KEY (host, username)
) STRICT, WITHOUT ROWID;

-- AUTOINCREMENT so that an id is never handed out twice, even after the
-- newest message was deleted: DeleteOffline(upTo) must never reach a
-- message stored after the reader's last one. stamp is Unix microseconds.
CREATE TABLE offline_messages (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    host     TEXT    NOT NULL,
    username TEXT    NOT NULL,
    stamp    INTEGER NOT NULL,
    sender   TEXT    NOT NULL,
    stanza   BLOB    NOT NULL
) STRICT;
CREATE INDEX offline_messages_by_user ON offline_messages (host, username, id);

CREATE TABLE vcards (
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    vcard    BLOB NOT NULL,
    PRIMARY KEY (host, username)
) STRICT, WITHOUT ROWID;

CREATE TABLE private_xml (
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    ns       TEXT NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (host, username, ns)
) STRICT, WITHOUT ROWID;

CREATE TABLE blocklist (
    host     TEXT NOT NULL,
    username TEXT NOT NULL,
    jid      TEXT NOT NULL,
    PRIMARY KEY (host, username, jid)
) STRICT, WITHOUT ROWID;

-- seen_at is Unix microseconds.
CREATE TABLE last_activity (
    host     TEXT    NOT NULL,
    username TEXT    NOT NULL,
    seen_at  INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    PRIMARY KEY (host, username)
) STRICT, WITHOUT ROWID;
