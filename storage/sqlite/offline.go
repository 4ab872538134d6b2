package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	// qStoreOffline inserts only while the user has fewer than ?6
	// messages. The count stops at ?6 rows, so a queue that grew past a
	// lowered limit is not scanned whole at every refused message.
	qStoreOffline = `INSERT INTO offline_messages (host, username, stamp, sender, stanza)
		SELECT ?1, ?2, ?3, ?4, ?5
		WHERE ?6 <= 0 OR (SELECT count(*) FROM (SELECT 1 FROM offline_messages
			WHERE host = ?1 AND username = ?2 LIMIT ?6)) < ?6`
	qOfflineMessages = `SELECT id, stamp, sender, stanza FROM offline_messages
		WHERE host = ? AND username = ? ORDER BY id`
	qDeleteOffline = `DELETE FROM offline_messages WHERE host = ? AND username = ? AND id <= ?`
	qCountOffline  = `SELECT count(*) FROM offline_messages WHERE host = ? AND username = ?`
)

// StoreOffline appends m unless the user already has max messages (max <=
// 0: no limit); storage.ErrLimit then. m.ID is ignored. The count and the
// insert run in one write transaction, and this store's single writer
// connection (or, across processes, SQLite's write lock taken at BEGIN)
// orders concurrent calls, so max is never exceeded and IDs are committed
// in order.
func (s *Store) StoreOffline(ctx context.Context, host, user string, m storage.OfflineMessage, max int) (err error) {
	defer s.done(storage.OpOfflineStore, time.Now(), &err)
	// Prepared before BEGIN: preparing inside the transaction would wait
	// for the one writer connection, which the transaction holds. Inside,
	// tx.StmtContext finds the statement already prepared on that
	// connection, so the insert is not parsed again.
	st, err := s.offline.get(ctx, s.w)
	if err != nil {
		return fail("store offline", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, st).ExecContext(ctx, host, user, m.Stamp.UnixMicro(), m.From, nonNil(m.Stanza), max)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return storage.ErrLimit
		}
		return nil
	})
	if err != nil {
		return fail("store offline", err)
	}
	return nil
}

// OfflineMessages returns the user's messages oldest first.
func (s *Store) OfflineMessages(ctx context.Context, host, user string) (ms []storage.OfflineMessage, err error) {
	defer s.done(storage.OpOfflineList, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qOfflineMessages, host, user)
	if err != nil {
		return nil, fail("offline messages", err)
	}
	defer rows.Close()
	ms = []storage.OfflineMessage{}
	for rows.Next() {
		var (
			m     storage.OfflineMessage
			stamp int64
		)
		if err := rows.Scan(&m.ID, &stamp, &m.From, &m.Stanza); err != nil {
			return nil, fail("offline messages", err)
		}
		m.Stamp = time.UnixMicro(stamp).UTC()
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("offline messages", err)
	}
	return ms, nil
}

// DeleteOffline removes the user's messages with ID <= upTo.
func (s *Store) DeleteOffline(ctx context.Context, host, user string, upTo int64) (err error) {
	defer s.done(storage.OpOfflineDelete, time.Now(), &err)
	if _, err := s.w.ExecContext(ctx, qDeleteOffline, host, user, upTo); err != nil {
		return fail("delete offline", err)
	}
	return nil
}

// CountOffline returns how many messages the user has stored.
func (s *Store) CountOffline(ctx context.Context, host, user string) (n int, err error) {
	defer s.done(storage.OpOfflineCount, time.Now(), &err)
	if err := s.r.QueryRowContext(ctx, qCountOffline, host, user).Scan(&n); err != nil {
		return 0, fail("count offline", err)
	}
	return n, nil
}
