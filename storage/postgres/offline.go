package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	// qStoreOffline inserts only while the user has fewer than $6
	// messages. The count stops at $6 rows, so a queue that grew past a
	// lowered limit is not scanned whole at every refused message.
	qStoreOffline = `INSERT INTO offline_messages (host, username, stamp, sender, stanza)
		SELECT $1::text, $2::text, $3::timestamptz, $4::text, $5::bytea
		WHERE $6::integer <= 0 OR (SELECT count(*) FROM (SELECT 1 FROM offline_messages
			WHERE host = $1::text AND username = $2::text LIMIT $6::integer) AS q) < $6::integer`
	qOfflineMessages = `SELECT id, stamp, sender, stanza FROM offline_messages
		WHERE host = $1 AND username = $2 ORDER BY id`
	qDeleteOffline = `DELETE FROM offline_messages WHERE host = $1 AND username = $2 AND id <= $3`
	qCountOffline  = `SELECT count(*) FROM offline_messages WHERE host = $1 AND username = $2`
)

// StoreOffline appends m unless the user already has max messages (max <=
// 0: no limit); storage.ErrLimit then. m.ID is ignored.
//
// Two statements, sent together in one batch, which pgx runs as one
// implicit transaction (one round trip, no BEGIN or COMMIT): the first
// takes the user's advisory lock, held until that transaction ends; the
// second counts and inserts, with a snapshot that READ COMMITTED takes
// after the lock is granted. So concurrent calls, from this node or
// another, never exceed max, and one user's IDs, drawn under the lock,
// commit in order.
func (s *Store) StoreOffline(ctx context.Context, host, user string, m storage.OfflineMessage, max int) (err error) {
	defer s.done(storage.OpOfflineStore, time.Now(), &err)
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, s.userLockKey("offline", host, user))
	var limited bool
	b.Queue(qStoreOffline, host, user, m.Stamp, m.From, nonNil(m.Stanza), max).Exec(func(tag pgconn.CommandTag) error {
		limited = tag.RowsAffected() == 0
		return nil
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fail("store offline", err)
	}
	if limited {
		return storage.ErrLimit
	}
	return nil
}

// OfflineMessages returns the user's messages oldest first.
func (s *Store) OfflineMessages(ctx context.Context, host, user string) (ms []storage.OfflineMessage, err error) {
	defer s.done(storage.OpOfflineList, time.Now(), &err)
	rows, err := s.pool.Query(ctx, qOfflineMessages, host, user)
	if err != nil {
		return nil, fail("offline messages", err)
	}
	defer rows.Close()
	ms = []storage.OfflineMessage{}
	for rows.Next() {
		var m storage.OfflineMessage
		if err := rows.Scan(&m.ID, &m.Stamp, &m.From, &m.Stanza); err != nil {
			return nil, fail("offline messages", err)
		}
		m.Stamp = m.Stamp.UTC()
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
	if _, err := s.pool.Exec(ctx, qDeleteOffline, host, user, upTo); err != nil {
		return fail("delete offline", err)
	}
	return nil
}

// CountOffline returns how many messages the user has stored.
func (s *Store) CountOffline(ctx context.Context, host, user string) (n int, err error) {
	defer s.done(storage.OpOfflineCount, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qCountOffline, host, user).Scan(&n); err != nil {
		return 0, fail("count offline", err)
	}
	return n, nil
}
