-- What a server keeps per user beyond the account (storage/im.go): roster
-- and its XEP-0237 version, offline messages, vCard, private XML, block
-- list and last activity.
--
-- No table references users: with an external credential backend the
-- account is not in users at all. DeleteUser removes an account's rows
-- from each of these tables, listed in userTables (users.go), in the
-- transaction that removes the account. Every table is keyed by
-- (host, username) first, so those deletes and the per-user reads are
-- index range scans. COLLATE "C" on the keys makes comparisons and
-- ORDER BY go by bytes whatever the database's locale, which is the order
-- the interfaces promise.

-- One row per contact. groups is kept sorted and without duplicates (the
-- backend writes it so).
CREATE TABLE roster_items (
    host         text    COLLATE "C" NOT NULL,
    username     text    COLLATE "C" NOT NULL,
    contact      text    COLLATE "C" NOT NULL,
    name         text    NOT NULL DEFAULT '',
    subscription text    NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
    ask          boolean NOT NULL DEFAULT false,
    pending_in   boolean NOT NULL DEFAULT false,
    pre_approved boolean NOT NULL DEFAULT false,
    groups       text[]  NOT NULL DEFAULT '{}' CHECK (array_position(groups, NULL) IS NULL),
    in_stanza    bytea,
    PRIMARY KEY (host, username, contact)
);

-- The roster version of XEP-0237: a counter per user, written in the
-- statement of every roster change. A user without a row has version "".
-- Every user with roster items has a row.
CREATE TABLE roster_versions (
    host     text   COLLATE "C" NOT NULL,
    username text   COLLATE "C" NOT NULL,
    version  bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (host, username)
);

-- An identity never hands out an id twice. StoreOffline holds a per-user
-- advisory lock from before its id is drawn until it commits, so one
-- user's ids also commit in order.
CREATE TABLE offline_messages (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host     text        COLLATE "C" NOT NULL,
    username text        COLLATE "C" NOT NULL,
    stamp    timestamptz NOT NULL,
    sender   text        NOT NULL,
    stanza   bytea       NOT NULL
);
CREATE INDEX offline_messages_by_user ON offline_messages (host, username, id);

CREATE TABLE vcards (
    host     text  COLLATE "C" NOT NULL,
    username text  COLLATE "C" NOT NULL,
    vcard    bytea NOT NULL,
    PRIMARY KEY (host, username)
);

CREATE TABLE private_xml (
    host     text  COLLATE "C" NOT NULL,
    username text  COLLATE "C" NOT NULL,
    ns       text  COLLATE "C" NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (host, username, ns)
);

CREATE TABLE blocklist (
    host     text COLLATE "C" NOT NULL,
    username text COLLATE "C" NOT NULL,
    jid      text COLLATE "C" NOT NULL,
    PRIMARY KEY (host, username, jid)
);

CREATE TABLE last_activity (
    host     text        COLLATE "C" NOT NULL,
    username text        COLLATE "C" NOT NULL,
    seen_at  timestamptz NOT NULL,
    status   text        NOT NULL,
    PRIMARY KEY (host, username)
);
