-- Accounts and their stored SCRAM keys (RFC 5802 §3), never passwords.
-- One column group per hash keeps the login lookup to a single row read;
-- a hash with no keys has NULL salt and keys and 0 iterations.
-- COLLATE "C" makes ORDER BY username sort by bytes whatever the
-- database's locale, which is the order ListUsers promises.
CREATE TABLE users (
    host              text    COLLATE "C" NOT NULL,
    username          text    COLLATE "C" NOT NULL,
    sha1_salt         bytea,
    sha1_iterations   integer NOT NULL DEFAULT 0 CHECK (sha1_iterations >= 0),
    sha1_stored_key   bytea,
    sha1_server_key   bytea,
    sha256_salt       bytea,
    sha256_iterations integer NOT NULL DEFAULT 0 CHECK (sha256_iterations >= 0),
    sha256_stored_key bytea,
    sha256_server_key bytea,
    sha512_salt       bytea,
    sha512_iterations integer NOT NULL DEFAULT 0 CHECK (sha512_iterations >= 0),
    sha512_stored_key bytea,
    sha512_server_key bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, username)
);
