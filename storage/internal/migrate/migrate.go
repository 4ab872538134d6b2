// Package migrate holds what the storage backends share about schema
// migrations: reading the embedded, numbered SQL files and deciding which of
// them a database still needs. Each backend supplies the few database calls
// through Target, so the ordering and safety rules live in one place.
//
// A migration is a file named NNNN_description.sql (for example
// 0001_users.sql). Versions start at 1 and have no gaps, so a missing or
// renumbered file is caught by the backends' tests and at the first
// Migrate, not half way through an upgrade.
package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int    // from the file name: 1 for 0001_users.sql
	Name    string // the file name, recorded for operators
	SQL     string // one or more statements, run in a single transaction
}

// Load reads every *.sql file in dir of fsys and returns them by version.
// It fails on a badly named file, a duplicate version or a gap.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("migrate: %s: want NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migrate: %s: version %q is not a positive number", name, num)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrate: %s: expected version %d (versions start at 1, no gaps or duplicates)", m.Name, i+1)
		}
	}
	return ms, nil
}

// Target is one database as the runner sees it. Implementations are backend
// specific; the runner only orders the calls.
type Target interface {
	// Init creates the version table if it is missing.
	Init(ctx context.Context) error
	// Applied returns the versions already recorded, in any order.
	Applied(ctx context.Context) ([]int, error)
	// Apply runs m and records its version in one transaction. Inside that
	// transaction it checks again whether the version is already recorded
	// (another process may have won the race) and then does nothing.
	Apply(ctx context.Context, m Migration) error
}

// Run brings t up to the last of ms, which must come from Load. It applies
// only the versions not yet recorded, in order, and returns
// storage.ErrSchemaTooNew when the database records a version beyond the
// last of ms.
func Run(ctx context.Context, t Target, ms []Migration) error {
	if err := t.Init(ctx); err != nil {
		return fmt.Errorf("migrate: create version table: %w", err)
	}
	applied, err := t.Applied(ctx)
	if err != nil {
		return fmt.Errorf("migrate: read versions: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		if v > len(ms) {
			return fmt.Errorf("%w: it has version %d, this build knows up to %d", storage.ErrSchemaTooNew, v, len(ms))
		}
		done[v] = true
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := t.Apply(ctx, m); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
	}
	return nil
}
