package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// lazyStmt is a statement prepared on first use. Preparing at Open would
// fail before Migrate has created the tables; preparing per call costs the
// login path a parse each time.
type lazyStmt struct {
	query string
	mu    sync.Mutex
	stmt  atomic.Pointer[sql.Stmt]
}

func (l *lazyStmt) get(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	if st := l.stmt.Load(); st != nil {
		return st, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.stmt.Load(); st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, l.query)
	if err != nil {
		return nil, err
	}
	l.stmt.Store(st)
	return st, nil
}

func (l *lazyStmt) close() error {
	if st := l.stmt.Load(); st != nil {
		return st.Close()
	}
	return nil
}
