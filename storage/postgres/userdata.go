package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	qVCard    = `SELECT vcard FROM vcards WHERE host = $1 AND username = $2`
	qSetVCard = `INSERT INTO vcards (host, username, vcard) VALUES ($1, $2, $3)
		ON CONFLICT (host, username) DO UPDATE SET vcard = excluded.vcard`
	qPrivate    = `SELECT data FROM private_xml WHERE host = $1 AND username = $2 AND ns = $3`
	qSetPrivate = `INSERT INTO private_xml (host, username, ns, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (host, username, ns) DO UPDATE SET data = excluded.data`
	qLastActivity    = `SELECT seen_at, status FROM last_activity WHERE host = $1 AND username = $2`
	qSetLastActivity = `INSERT INTO last_activity (host, username, seen_at, status) VALUES ($1, $2, $3, $4)
		ON CONFLICT (host, username) DO UPDATE SET seen_at = excluded.seen_at, status = excluded.status`
	qBlocklist = `SELECT jid FROM blocklist WHERE host = $1 AND username = $2 ORDER BY jid`
	qBlock     = `INSERT INTO blocklist (host, username, jid)
		SELECT $1, $2, unnest($3::text[])
		ON CONFLICT (host, username, jid) DO NOTHING`
	qUnblock    = `DELETE FROM blocklist WHERE host = $1 AND username = $2 AND jid = ANY ($3::text[])`
	qUnblockAll = `DELETE FROM blocklist WHERE host = $1 AND username = $2`
)

// VCard returns the user's vCard; storage.ErrNotFound if none.
func (s *Store) VCard(ctx context.Context, host, user string) (vcard []byte, err error) {
	defer s.done(storage.OpVCardGet, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qVCard, host, user).Scan(&vcard); err != nil {
		return nil, fail("vcard", err)
	}
	return nonNil(vcard), nil
}

// SetVCard replaces the user's vCard.
func (s *Store) SetVCard(ctx context.Context, host, user string, vcard []byte) (err error) {
	defer s.done(storage.OpVCardSet, time.Now(), &err)
	if _, err := s.pool.Exec(ctx, qSetVCard, host, user, nonNil(vcard)); err != nil {
		return fail("set vcard", err)
	}
	return nil
}

// PrivateXML returns the element stored for ns; storage.ErrNotFound if
// none.
func (s *Store) PrivateXML(ctx context.Context, host, user, ns string) (data []byte, err error) {
	defer s.done(storage.OpPrivateGet, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qPrivate, host, user, ns).Scan(&data); err != nil {
		return nil, fail("private xml", err)
	}
	return nonNil(data), nil
}

// SetPrivateXML replaces the element stored for ns.
func (s *Store) SetPrivateXML(ctx context.Context, host, user, ns string, data []byte) (err error) {
	defer s.done(storage.OpPrivateSet, time.Now(), &err)
	if _, err := s.pool.Exec(ctx, qSetPrivate, host, user, ns, nonNil(data)); err != nil {
		return fail("set private xml", err)
	}
	return nil
}

// LastActivity returns when the user last logged out and their status;
// storage.ErrNotFound if never.
func (s *Store) LastActivity(ctx context.Context, host, user string) (at time.Time, status string, err error) {
	defer s.done(storage.OpLastActivityGet, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qLastActivity, host, user).Scan(&at, &status); err != nil {
		return time.Time{}, "", fail("last activity", err)
	}
	return at.UTC(), status, nil
}

// SetLastActivity records a logout.
func (s *Store) SetLastActivity(ctx context.Context, host, user string, at time.Time, status string) (err error) {
	defer s.done(storage.OpLastActivitySet, time.Now(), &err)
	if _, err := s.pool.Exec(ctx, qSetLastActivity, host, user, at, status); err != nil {
		return fail("set last activity", err)
	}
	return nil
}

// Blocklist returns the user's blocked JIDs in byte order.
func (s *Store) Blocklist(ctx context.Context, host, user string) (jids []string, err error) {
	defer s.done(storage.OpBlocklistGet, time.Now(), &err)
	rows, _ := s.pool.Query(ctx, qBlocklist, host, user)
	jids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fail("blocklist", err)
	}
	return nonNil(jids), nil
}

// Block adds jids to the user's block list in one statement.
func (s *Store) Block(ctx context.Context, host, user string, jids []string) (err error) {
	defer s.done(storage.OpBlocklistBlock, time.Now(), &err)
	if len(jids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, qBlock, host, user, jids); err != nil {
		return fail("block", err)
	}
	return nil
}

// Unblock removes jids from the user's block list, or all of them when
// jids is empty.
func (s *Store) Unblock(ctx context.Context, host, user string, jids []string) (err error) {
	defer s.done(storage.OpBlocklistUnblock, time.Now(), &err)
	if len(jids) == 0 {
		_, err = s.pool.Exec(ctx, qUnblockAll, host, user)
	} else {
		_, err = s.pool.Exec(ctx, qUnblock, host, user, jids)
	}
	if err != nil {
		return fail("unblock", err)
	}
	return nil
}
