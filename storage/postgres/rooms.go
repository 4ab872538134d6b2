package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	qRooms    = `SELECT name, config, subject, subject_by FROM muc_rooms WHERE service = $1 ORDER BY name`
	qSaveRoom = `INSERT INTO muc_rooms (service, name, config, subject, subject_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (service, name) DO UPDATE SET config = excluded.config,
		subject = excluded.subject, subject_by = excluded.subject_by`
	qDeleteRoom     = `DELETE FROM muc_rooms WHERE service = $1 AND name = $2`
	qDeleteRoomAffs = `DELETE FROM muc_affiliations WHERE service = $1 AND name = $2`
	qDeleteHistory  = `DELETE FROM muc_history WHERE service = $1 AND name = $2`
	qRoomHistory    = `SELECT at, stanza FROM muc_history WHERE service = $1 AND name = $2 ORDER BY seq`
	qAddHistory     = `INSERT INTO muc_history (service, name, seq, at, stanza)
		SELECT $1::text, $2::text, s.seq - 1, s.at, s.stanza
		FROM unnest($3::timestamptz[], $4::bytea[]) WITH ORDINALITY AS s(at, stanza, seq)`
	qRoomAffs      = `SELECT jid, affiliation, reason, nick FROM muc_affiliations WHERE service = $1 AND name = $2 ORDER BY jid`
	qDeleteRoomAff = `DELETE FROM muc_affiliations WHERE service = $1 AND name = $2 AND jid = $3`
	qSetRoomAff    = `INSERT INTO muc_affiliations (service, name, jid, affiliation, reason, nick) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (service, name, jid) DO UPDATE SET affiliation = excluded.affiliation,
		reason = excluded.reason, nick = excluded.nick`
)

// Rooms returns the stored rooms of service, sorted by name.
func (s *Store) Rooms(ctx context.Context, service string) (rooms []storage.StoredRoom, err error) {
	defer s.done(storage.OpRoomList, time.Now(), &err)
	rows, err := s.pool.Query(ctx, qRooms, service)
	if err != nil {
		return nil, fail("rooms", err)
	}
	defer rows.Close()
	rooms = []storage.StoredRoom{}
	for rows.Next() {
		r := storage.StoredRoom{Service: service}
		if err := rows.Scan(&r.Name, &r.Config, &r.Subject, &r.SubjectBy); err != nil {
			return nil, fail("rooms", err)
		}
		r.Config = nonNil(r.Config)
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("rooms", err)
	}
	return rooms, nil
}

// SaveRoom creates or replaces a room.
func (s *Store) SaveRoom(ctx context.Context, r storage.StoredRoom) (err error) {
	defer s.done(storage.OpRoomSave, time.Now(), &err)
	if _, err := s.pool.Exec(ctx, qSaveRoom, r.Service, r.Name, nonNil(r.Config), r.Subject, r.SubjectBy); err != nil {
		return fail("save room", err)
	}
	return nil
}

// DeleteRoom removes a room and its affiliations in one transaction.
func (s *Store) DeleteRoom(ctx context.Context, service, name string) (err error) {
	defer s.done(storage.OpRoomDelete, time.Now(), &err)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail("delete room", err)
	}
	defer tx.Rollback(ctx)
	res, err := tx.Exec(ctx, qDeleteRoom, service, name)
	if err != nil {
		return fail("delete room", err)
	}
	if res.RowsAffected() == 0 {
		return storage.ErrNotFound
	}
	if _, err := tx.Exec(ctx, qDeleteRoomAffs, service, name); err != nil {
		return fail("delete room", err)
	}
	if _, err := tx.Exec(ctx, qDeleteHistory, service, name); err != nil {
		return fail("delete room", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("delete room", err)
	}
	return nil
}

// RoomAffiliations returns a room's affiliations, sorted by JID.
func (s *Store) RoomAffiliations(ctx context.Context, service, name string) (affs []storage.RoomAffiliation, err error) {
	defer s.done(storage.OpRoomAffList, time.Now(), &err)
	rows, err := s.pool.Query(ctx, qRoomAffs, service, name)
	if err != nil {
		return nil, fail("room affiliations", err)
	}
	defer rows.Close()
	affs = []storage.RoomAffiliation{}
	for rows.Next() {
		var a storage.RoomAffiliation
		if err := rows.Scan(&a.JID, &a.Affiliation, &a.Reason, &a.Nick); err != nil {
			return nil, fail("room affiliations", err)
		}
		affs = append(affs, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("room affiliations", err)
	}
	return affs, nil
}

// SetRoomAffiliation creates, replaces or removes one user's row.
func (s *Store) SetRoomAffiliation(ctx context.Context, service, name string, a storage.RoomAffiliation) (err error) {
	defer s.done(storage.OpRoomAffSet, time.Now(), &err)
	if a.Affiliation == "none" && a.Nick == "" {
		_, err = s.pool.Exec(ctx, qDeleteRoomAff, service, name, a.JID)
	} else {
		_, err = s.pool.Exec(ctx, qSetRoomAff, service, name, a.JID, a.Affiliation, a.Reason, a.Nick)
	}
	if err != nil {
		return fail("set room affiliation", err)
	}
	return nil
}

// RoomHistory returns a room's stored history, oldest first.
func (s *Store) RoomHistory(ctx context.Context, service, name string) (msgs []storage.RoomMessage, err error) {
	defer s.done(storage.OpRoomHistoryGet, time.Now(), &err)
	rows, err := s.pool.Query(ctx, qRoomHistory, service, name)
	if err != nil {
		return nil, fail("room history", err)
	}
	defer rows.Close()
	msgs = []storage.RoomMessage{}
	for rows.Next() {
		var m storage.RoomMessage
		if err := rows.Scan(&m.At, &m.Stanza); err != nil {
			return nil, fail("room history", err)
		}
		m.At = m.At.UTC()
		m.Stanza = nonNil(m.Stanza)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("room history", err)
	}
	return msgs, nil
}

// SetRoomHistory replaces a room's history in one transaction: one delete
// and one insert of all the messages as arrays, two round trips whatever
// the history's length.
func (s *Store) SetRoomHistory(ctx context.Context, service, name string, msgs []storage.RoomMessage) (err error) {
	defer s.done(storage.OpRoomHistorySet, time.Now(), &err)
	ats := make([]time.Time, len(msgs))
	stanzas := make([][]byte, len(msgs))
	for i, m := range msgs {
		ats[i], stanzas[i] = m.At, nonNil(m.Stanza)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qDeleteHistory, service, name); err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, qAddHistory, service, name, ats, stanzas)
		return err
	})
	if err != nil {
		return fail("set room history", err)
	}
	return nil
}
