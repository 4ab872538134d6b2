package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/check"
)

// rosterColumns are the roster_items columns scanRosterItem reads, in its
// order.
const rosterColumns = `contact, name, subscription, ask, pending_in, pre_approved, groups, in_stanza`

const (
	// qRosterItems reads the version and the items in one statement, hence
	// one snapshot. It starts from roster_versions because a user with
	// items always has a version row: no row means no roster at all, and a
	// row with NULL items (after the LEFT JOIN) an empty one.
	qRosterItems = `SELECT v.version, i.contact IS NOT NULL,
		coalesce(i.contact, ''), coalesce(i.name, ''), coalesce(i.subscription, ''),
		coalesce(i.ask, 0), coalesce(i.pending_in, 0), coalesce(i.pre_approved, 0),
		coalesce(i.groups, '[]'), i.in_stanza
		FROM roster_versions AS v
		LEFT JOIN roster_items AS i ON i.host = v.host AND i.username = v.username
		WHERE v.host = ? AND v.username = ?
		ORDER BY i.contact`
	qRosterItem = `SELECT ` + rosterColumns + ` FROM roster_items
		WHERE host = ? AND username = ? AND contact = ?`
	qSetRosterItem = `INSERT INTO roster_items (host, username, ` + rosterColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (host, username, contact) DO UPDATE SET
			name = excluded.name, subscription = excluded.subscription,
			ask = excluded.ask, pending_in = excluded.pending_in,
			pre_approved = excluded.pre_approved, groups = excluded.groups,
			in_stanza = excluded.in_stanza`
	qDeleteRosterItem = `DELETE FROM roster_items WHERE host = ? AND username = ? AND contact = ?`
	qBumpRoster       = `INSERT INTO roster_versions (host, username, version) VALUES (?, ?, 1)
		ON CONFLICT (host, username) DO UPDATE SET version = version + 1
		RETURNING version`
	qRosterVersion = `SELECT version FROM roster_versions WHERE host = ? AND username = ?`
)

// RosterItems returns a user's items sorted by JID and the roster version,
// both from one snapshot.
func (s *Store) RosterItems(ctx context.Context, host, user string) (items []storage.RosterItem, ver string, err error) {
	defer s.done(storage.OpRosterGet, time.Now(), &err)
	st, err := s.roster.get(ctx, s.r)
	if err != nil {
		return nil, "", fail("roster items", err)
	}
	rows, err := st.QueryContext(ctx, host, user)
	if err != nil {
		return nil, "", fail("roster items", err)
	}
	defer rows.Close()
	items = []storage.RosterItem{}
	var v int64
	for rows.Next() {
		var (
			it      storage.RosterItem
			present bool
			groups  sql.RawBytes
		)
		if err := rows.Scan(&v, &present, &it.JID, &it.Name, &it.Subscription,
			&it.Ask, &it.PendingIn, &it.PreApproved, &groups, &it.InStanza); err != nil {
			return nil, "", fail("roster items", err)
		}
		if !present {
			continue
		}
		if it.Groups, err = decodeGroups(groups); err != nil {
			return nil, "", fail("roster items", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fail("roster items", err)
	}
	if v > 0 {
		ver = strconv.FormatInt(v, 10)
	}
	return items, ver, nil
}

// RosterItem returns one item; storage.ErrNotFound if absent.
func (s *Store) RosterItem(ctx context.Context, host, user, contact string) (it storage.RosterItem, err error) {
	defer s.done(storage.OpRosterItemGet, time.Now(), &err)
	var groups []byte
	err = s.r.QueryRowContext(ctx, qRosterItem, host, user, contact).Scan(&it.JID, &it.Name,
		&it.Subscription, &it.Ask, &it.PendingIn, &it.PreApproved, &groups, &it.InStanza)
	if err != nil {
		return storage.RosterItem{}, fail("roster item", err)
	}
	if it.Groups, err = decodeGroups(groups); err != nil {
		return storage.RosterItem{}, fail("roster item", err)
	}
	return it, nil
}

// SetRosterItem inserts or replaces an item and returns the new version.
func (s *Store) SetRosterItem(ctx context.Context, host, user string, item storage.RosterItem) (ver string, err error) {
	defer s.done(storage.OpRosterItemSet, time.Now(), &err)
	item, err = check.RosterItem(item)
	if err != nil {
		return "", fail("set roster item", err)
	}
	groups, err := encodeGroups(item.Groups)
	if err != nil {
		return "", fail("set roster item", err)
	}
	var v int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qSetRosterItem, host, user, item.JID, item.Name, item.Subscription,
			item.Ask, item.PendingIn, item.PreApproved, groups, blob(item.InStanza)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, qBumpRoster, host, user).Scan(&v)
	})
	if err != nil {
		return "", fail("set roster item", err)
	}
	return strconv.FormatInt(v, 10), nil
}

// DeleteRosterItem removes an item and returns the new version;
// storage.ErrNotFound, with the version unchanged, if absent.
func (s *Store) DeleteRosterItem(ctx context.Context, host, user, contact string) (ver string, err error) {
	defer s.done(storage.OpRosterItemDelete, time.Now(), &err)
	var v int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qDeleteRosterItem, host, user, contact)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return storage.ErrNotFound
		}
		return tx.QueryRowContext(ctx, qBumpRoster, host, user).Scan(&v)
	})
	if err != nil {
		return "", fail("delete roster item", err)
	}
	return strconv.FormatInt(v, 10), nil
}

// RosterVersion returns the current version, "" if the roster never
// changed.
func (s *Store) RosterVersion(ctx context.Context, host, user string) (ver string, err error) {
	defer s.done(storage.OpRosterVersionGet, time.Now(), &err)
	var v int64
	switch err := s.r.QueryRowContext(ctx, qRosterVersion, host, user).Scan(&v); err {
	case nil:
		return strconv.FormatInt(v, 10), nil
	case sql.ErrNoRows:
		return "", nil
	default:
		return "", fail("roster version", err)
	}
}

// encodeGroups writes groups as the groups column holds them: a compact
// JSON array, with <, > and & left as they are.
func encodeGroups(gs []string) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(nonNil(gs)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// decodeGroups reads the groups column, a JSON array of strings; nil for
// an empty one. The compact form json.Marshal writes for groups without
// escapes (the usual case) is split here, at a quarter of encoding/json's
// cost; anything else, such as escapes or an array an operator wrote by
// hand, goes through encoding/json.
func decodeGroups(b []byte) ([]string, error) {
	if gs, ok := splitGroups(b); ok {
		return gs, nil
	}
	var gs []string
	if err := json.Unmarshal(b, &gs); err != nil {
		return nil, fmt.Errorf("groups column %q: %w", b, err)
	}
	if len(gs) == 0 {
		return nil, nil
	}
	return gs, nil
}

// splitGroups decodes b if it is exactly ["a","b",...], valid UTF-8 with
// no backslash, no control character and no white space; ok is false
// otherwise. Without backslashes a quote always ends a string, so
// splitting on quotes is exact.
func splitGroups(b []byte) (gs []string, ok bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return nil, false
		}
	}
	if !utf8.Valid(b) {
		return nil, false
	}
	b = b[1 : len(b)-1]
	if len(b) == 0 {
		return nil, true
	}
	gs = make([]string, 0, bytes.Count(b, []byte(`","`))+1)
	for {
		if len(b) < 2 || b[0] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(b[1:], '"') + 1
		if end == 0 {
			return nil, false
		}
		gs = append(gs, string(b[1:end]))
		b = b[end+1:]
		switch {
		case len(b) == 0:
			return gs, true
		case b[0] != ',':
			return nil, false
		}
		b = b[1:]
	}
}

// nonNil makes a nil slice empty, for columns that hold "nothing" as an
// empty value rather than NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
