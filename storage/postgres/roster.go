package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/check"
)

// rosterColumns are the roster_items columns RosterItem scans, in order.
const rosterColumns = `contact, name, subscription, ask, pending_in, pre_approved, groups, in_stanza`

const (
	// qRosterItems reads the version and the items in one statement, hence
	// one snapshot. It starts from roster_versions because a user with
	// items always has a version row: no row means no roster at all, and a
	// row with NULL items (after the LEFT JOIN) an empty one.
	qRosterItems = `SELECT v.version, i.contact IS NOT NULL,
		coalesce(i.contact, ''), coalesce(i.name, ''), coalesce(i.subscription, ''),
		coalesce(i.ask, false), coalesce(i.pending_in, false), coalesce(i.pre_approved, false),
		coalesce(i.groups, '{}'), i.in_stanza
		FROM roster_versions AS v
		LEFT JOIN roster_items AS i ON i.host = v.host AND i.username = v.username
		WHERE v.host = $1 AND v.username = $2
		ORDER BY i.contact`
	qRosterItem = `SELECT ` + rosterColumns + ` FROM roster_items
		WHERE host = $1 AND username = $2 AND contact = $3`
	// qSetRosterItem writes the item and bumps the version in one
	// statement (a data-modifying WITH always runs to completion), so one
	// round trip and one transaction. The version row's lock orders
	// concurrent changes of one roster.
	qSetRosterItem = `WITH item AS (
			INSERT INTO roster_items (host, username, ` + rosterColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (host, username, contact) DO UPDATE SET
				name = excluded.name, subscription = excluded.subscription,
				ask = excluded.ask, pending_in = excluded.pending_in,
				pre_approved = excluded.pre_approved, groups = excluded.groups,
				in_stanza = excluded.in_stanza
		)
		INSERT INTO roster_versions AS v (host, username, version) VALUES ($1, $2, 1)
		ON CONFLICT (host, username) DO UPDATE SET version = v.version + 1
		RETURNING version`
	// qDeleteRosterItem bumps the version only when a row went away: no
	// row returned means the item was absent.
	qDeleteRosterItem = `WITH gone AS (
			DELETE FROM roster_items WHERE host = $1 AND username = $2 AND contact = $3
			RETURNING host, username
		)
		INSERT INTO roster_versions AS v (host, username, version)
		SELECT host, username, 1 FROM gone
		ON CONFLICT (host, username) DO UPDATE SET version = v.version + 1
		RETURNING version`
	qRosterVersion = `SELECT version FROM roster_versions WHERE host = $1 AND username = $2`
)

// RosterItems returns a user's items sorted by JID and the roster version,
// both from one snapshot.
func (s *Store) RosterItems(ctx context.Context, host, user string) (items []storage.RosterItem, ver string, err error) {
	defer s.done(storage.OpRosterGet, time.Now(), &err)
	rows, err := s.pool.Query(ctx, qRosterItems, host, user)
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
		)
		if err := rows.Scan(&v, &present, &it.JID, &it.Name, &it.Subscription,
			&it.Ask, &it.PendingIn, &it.PreApproved, &it.Groups, &it.InStanza); err != nil {
			return nil, "", fail("roster items", err)
		}
		if !present {
			continue
		}
		items = append(items, normalizeItem(it))
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
	err = s.pool.QueryRow(ctx, qRosterItem, host, user, contact).Scan(&it.JID, &it.Name,
		&it.Subscription, &it.Ask, &it.PendingIn, &it.PreApproved, &it.Groups, &it.InStanza)
	if err != nil {
		return storage.RosterItem{}, fail("roster item", err)
	}
	return normalizeItem(it), nil
}

// SetRosterItem inserts or replaces an item and returns the new version.
func (s *Store) SetRosterItem(ctx context.Context, host, user string, item storage.RosterItem) (ver string, err error) {
	defer s.done(storage.OpRosterItemSet, time.Now(), &err)
	item, err = check.RosterItem(item)
	if err != nil {
		return "", fail("set roster item", err)
	}
	var v int64
	err = s.pool.QueryRow(ctx, qSetRosterItem, host, user, item.JID, item.Name, item.Subscription,
		item.Ask, item.PendingIn, item.PreApproved, nonNil(item.Groups), bytea(item.InStanza)).Scan(&v)
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
	if err := s.pool.QueryRow(ctx, qDeleteRosterItem, host, user, contact).Scan(&v); err != nil {
		return "", fail("delete roster item", err)
	}
	return strconv.FormatInt(v, 10), nil
}

// RosterVersion returns the current version, "" if the roster never
// changed.
func (s *Store) RosterVersion(ctx context.Context, host, user string) (ver string, err error) {
	defer s.done(storage.OpRosterVersionGet, time.Now(), &err)
	var v int64
	switch err := s.pool.QueryRow(ctx, qRosterVersion, host, user).Scan(&v); err {
	case nil:
		return strconv.FormatInt(v, 10), nil
	case pgx.ErrNoRows:
		return "", nil
	default:
		return "", fail("roster version", err)
	}
}

// normalizeItem makes empty groups and stanzas nil, whatever the driver
// returned.
func normalizeItem(it storage.RosterItem) storage.RosterItem {
	if len(it.Groups) == 0 {
		it.Groups = nil
	}
	if len(it.InStanza) == 0 {
		it.InStanza = nil
	}
	return it
}

// nonNil makes a nil slice empty, for NOT NULL columns that hold "nothing"
// as an empty value: pgx sends a nil slice as NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
