-- Accounts and their stored SCRAM keys (RFC 5802 §3), never passwords.
-- One column group per hash keeps the login lookup to a single row read;
-- a hash with no keys has NULL salt and keys and 0 iterations.
-- BINARY collation (the default) sorts usernames by bytes, which is the
-- order ListUsers promises.
CREATE TABLE users (
    host              TEXT    NOT NULL,
    username          TEXT    NOT NULL,
    sha1_salt         BLOB,
    sha1_iterations   INTEGER NOT NULL DEFAULT 0 CHECK (sha1_iterations >= 0),
    sha1_stored_key   BLOB,
    sha1_server_key   BLOB,
    sha256_salt       BLOB,
    sha256_iterations INTEGER NOT NULL DEFAULT 0 CHECK (sha256_iterations >= 0),
    sha256_stored_key BLOB,
    sha256_server_key BLOB,
    sha512_salt       BLOB,
    sha512_iterations INTEGER NOT NULL DEFAULT 0 CHECK (sha512_iterations >= 0),
    sha512_stored_key BLOB,
    sha512_server_key BLOB,
    created_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (host, username)
) STRICT, WITHOUT ROWID;
