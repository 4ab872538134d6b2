package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	qRooms    = `SELECT name, config, subject, subject_by FROM muc_rooms WHERE service = ? ORDER BY name`
	qSaveRoom = `INSERT INTO muc_rooms (service, name, config, subject, subject_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (service, name) DO UPDATE SET config = excluded.config,
		subject = excluded.subject, subject_by = excluded.subject_by`
	qDeleteRoom     = `DELETE FROM muc_rooms WHERE service = ? AND name = ?`
	qDeleteRoomAffs = `DELETE FROM muc_affiliations WHERE service = ? AND name = ?`
	qDeleteHistory  = `DELETE FROM muc_history WHERE service = ? AND name = ?`
	qRoomHistory    = `SELECT at, stanza FROM muc_history WHERE service = ? AND name = ? ORDER BY seq`
	qAddHistory     = `INSERT INTO muc_history (service, name, seq, at, stanza) VALUES (?, ?, ?, ?, ?)`
	qRoomAffs       = `SELECT jid, affiliation, reason, nick FROM muc_affiliations WHERE service = ? AND name = ? ORDER BY jid`
	qDeleteRoomAff  = `DELETE FROM muc_affiliations WHERE service = ? AND name = ? AND jid = ?`
	qSetRoomAff     = `INSERT INTO muc_affiliations (service, name, jid, affiliation, reason, nick) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (service, name, jid) DO UPDATE SET affiliation = excluded.affiliation,
		reason = excluded.reason, nick = excluded.nick`
)

// Rooms returns the stored rooms of service, sorted by name.
func (s *Store) Rooms(ctx context.Context, service string) (rooms []storage.StoredRoom, err error) {
	defer s.done(storage.OpRoomList, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qRooms, service)
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
	if _, err := s.w.ExecContext(ctx, qSaveRoom, r.Service, r.Name, nonNil(r.Config), r.Subject, r.SubjectBy); err != nil {
		return fail("save room", err)
	}
	return nil
}

// DeleteRoom removes a room and its affiliations in one transaction.
func (s *Store) DeleteRoom(ctx context.Context, service, name string) (err error) {
	defer s.done(storage.OpRoomDelete, time.Now(), &err)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail("delete room", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, qDeleteRoom, service, name)
	if err != nil {
		return fail("delete room", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail("delete room", err)
	} else if n == 0 {
		return storage.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, qDeleteRoomAffs, service, name); err != nil {
		return fail("delete room", err)
	}
	if _, err := tx.ExecContext(ctx, qDeleteHistory, service, name); err != nil {
		return fail("delete room", err)
	}
	if err := tx.Commit(); err != nil {
		return fail("delete room", err)
	}
	return nil
}

// RoomAffiliations returns a room's affiliations, sorted by JID.
func (s *Store) RoomAffiliations(ctx context.Context, service, name string) (affs []storage.RoomAffiliation, err error) {
	defer s.done(storage.OpRoomAffList, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qRoomAffs, service, name)
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
		_, err = s.w.ExecContext(ctx, qDeleteRoomAff, service, name, a.JID)
	} else {
		_, err = s.w.ExecContext(ctx, qSetRoomAff, service, name, a.JID, a.Affiliation, a.Reason, a.Nick)
	}
	if err != nil {
		return fail("set room affiliation", err)
	}
	return nil
}

// RoomHistory returns a room's stored history, oldest first.
func (s *Store) RoomHistory(ctx context.Context, service, name string) (msgs []storage.RoomMessage, err error) {
	defer s.done(storage.OpRoomHistoryGet, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qRoomHistory, service, name)
	if err != nil {
		return nil, fail("room history", err)
	}
	defer rows.Close()
	msgs = []storage.RoomMessage{}
	for rows.Next() {
		var (
			m  storage.RoomMessage
			at int64
		)
		if err := rows.Scan(&at, &m.Stanza); err != nil {
			return nil, fail("room history", err)
		}
		m.At = time.UnixMicro(at).UTC()
		m.Stanza = nonNil(m.Stanza)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("room history", err)
	}
	return msgs, nil
}

// SetRoomHistory replaces a room's history in one transaction.
func (s *Store) SetRoomHistory(ctx context.Context, service, name string, msgs []storage.RoomMessage) (err error) {
	defer s.done(storage.OpRoomHistorySet, time.Now(), &err)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qDeleteHistory, service, name); err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		st, err := tx.PrepareContext(ctx, qAddHistory)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, m := range msgs {
			if _, err := st.ExecContext(ctx, service, name, i, m.At.UnixMicro(), nonNil(m.Stanza)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail("set room history", err)
	}
	return nil
}
