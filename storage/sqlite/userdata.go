package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	qVCard    = `SELECT vcard FROM vcards WHERE host = ? AND username = ?`
	qSetVCard = `INSERT INTO vcards (host, username, vcard) VALUES (?, ?, ?)
		ON CONFLICT (host, username) DO UPDATE SET vcard = excluded.vcard`
	qPrivate    = `SELECT data FROM private_xml WHERE host = ? AND username = ? AND ns = ?`
	qSetPrivate = `INSERT INTO private_xml (host, username, ns, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (host, username, ns) DO UPDATE SET data = excluded.data`
	qLastActivity    = `SELECT seen_at, status FROM last_activity WHERE host = ? AND username = ?`
	qSetLastActivity = `INSERT INTO last_activity (host, username, seen_at, status) VALUES (?, ?, ?, ?)
		ON CONFLICT (host, username) DO UPDATE SET seen_at = excluded.seen_at, status = excluded.status`
	qBlocklist = `SELECT jid FROM blocklist WHERE host = ? AND username = ? ORDER BY jid`
	qBlock     = `INSERT INTO blocklist (host, username, jid) VALUES (?, ?, ?)
		ON CONFLICT (host, username, jid) DO NOTHING`
	qUnblock    = `DELETE FROM blocklist WHERE host = ? AND username = ? AND jid = ?`
	qUnblockAll = `DELETE FROM blocklist WHERE host = ? AND username = ?`
)

// VCard returns the user's vCard; storage.ErrNotFound if none.
func (s *Store) VCard(ctx context.Context, host, user string) (vcard []byte, err error) {
	defer s.done(storage.OpVCardGet, time.Now(), &err)
	if err := s.r.QueryRowContext(ctx, qVCard, host, user).Scan(&vcard); err != nil {
		return nil, fail("vcard", err)
	}
	return nonNil(vcard), nil
}

// SetVCard replaces the user's vCard.
func (s *Store) SetVCard(ctx context.Context, host, user string, vcard []byte) (err error) {
	defer s.done(storage.OpVCardSet, time.Now(), &err)
	if _, err := s.w.ExecContext(ctx, qSetVCard, host, user, nonNil(vcard)); err != nil {
		return fail("set vcard", err)
	}
	return nil
}

// PrivateXML returns the element stored for ns; storage.ErrNotFound if
// none.
func (s *Store) PrivateXML(ctx context.Context, host, user, ns string) (data []byte, err error) {
	defer s.done(storage.OpPrivateGet, time.Now(), &err)
	if err := s.r.QueryRowContext(ctx, qPrivate, host, user, ns).Scan(&data); err != nil {
		return nil, fail("private xml", err)
	}
	return nonNil(data), nil
}

// SetPrivateXML replaces the element stored for ns.
func (s *Store) SetPrivateXML(ctx context.Context, host, user, ns string, data []byte) (err error) {
	defer s.done(storage.OpPrivateSet, time.Now(), &err)
	if _, err := s.w.ExecContext(ctx, qSetPrivate, host, user, ns, nonNil(data)); err != nil {
		return fail("set private xml", err)
	}
	return nil
}

// LastActivity returns when the user last logged out and their status;
// storage.ErrNotFound if never.
func (s *Store) LastActivity(ctx context.Context, host, user string) (at time.Time, status string, err error) {
	defer s.done(storage.OpLastActivityGet, time.Now(), &err)
	var us int64
	if err := s.r.QueryRowContext(ctx, qLastActivity, host, user).Scan(&us, &status); err != nil {
		return time.Time{}, "", fail("last activity", err)
	}
	return time.UnixMicro(us).UTC(), status, nil
}

// SetLastActivity records a logout.
func (s *Store) SetLastActivity(ctx context.Context, host, user string, at time.Time, status string) (err error) {
	defer s.done(storage.OpLastActivitySet, time.Now(), &err)
	if _, err := s.w.ExecContext(ctx, qSetLastActivity, host, user, at.UnixMicro(), status); err != nil {
		return fail("set last activity", err)
	}
	return nil
}

// Blocklist returns the user's blocked JIDs in byte order.
func (s *Store) Blocklist(ctx context.Context, host, user string) (jids []string, err error) {
	defer s.done(storage.OpBlocklistGet, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qBlocklist, host, user)
	if err != nil {
		return nil, fail("blocklist", err)
	}
	defer rows.Close()
	jids = []string{}
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			return nil, fail("blocklist", err)
		}
		jids = append(jids, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("blocklist", err)
	}
	return jids, nil
}

// Block adds jids to the user's block list, in one transaction.
func (s *Store) Block(ctx context.Context, host, user string, jids []string) (err error) {
	defer s.done(storage.OpBlocklistBlock, time.Now(), &err)
	if len(jids) == 0 {
		return nil
	}
	if err := s.eachInTx(ctx, qBlock, host, user, jids); err != nil {
		return fail("block", err)
	}
	return nil
}

// Unblock removes jids from the user's block list, or all of them when
// jids is empty.
func (s *Store) Unblock(ctx context.Context, host, user string, jids []string) (err error) {
	defer s.done(storage.OpBlocklistUnblock, time.Now(), &err)
	if len(jids) == 0 {
		_, err = s.w.ExecContext(ctx, qUnblockAll, host, user)
	} else {
		err = s.eachInTx(ctx, qUnblock, host, user, jids)
	}
	if err != nil {
		return fail("unblock", err)
	}
	return nil
}

// eachInTx runs query (host, user, jid) for every jid, in one transaction
// and with one prepared statement.
func (s *Store) eachInTx(ctx context.Context, query, host, user string, jids []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, j := range jids {
			if _, err := st.ExecContext(ctx, host, user, j); err != nil {
				return err
			}
		}
		return nil
	})
}
