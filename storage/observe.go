package storage

import "time"

// Operation names passed to an Observer. They are a small fixed set so that
// a metrics label built from them stays bounded; a backend never invents
// names of its own.
const (
	OpMigrate        = "migrate"
	OpUserCreate     = "user_create"
	OpUserDelete     = "user_delete"
	OpUserExists     = "user_exists"
	OpUserList       = "user_list"
	OpCredentialsGet = "credentials_get"
	OpCredentialsSet = "credentials_set"
)

// Ops returns every operation name a backend may report, so that a metrics
// collector can create its series before the first call.
func Ops() []string {
	return []string{
		OpMigrate,
		OpUserCreate,
		OpUserDelete,
		OpUserExists,
		OpUserList,
		OpCredentialsGet,
		OpCredentialsSet,
	}
}

// Observer is told, after every store operation, its name (one of the Op
// constants), how long it took and the error it returned. err is the value
// the caller got, so ErrNotFound and ErrExists arrive as errors too; an
// observer that counts failures should treat those as ordinary outcomes.
// It is called on the caller's goroutine and must be fast and safe for
// concurrent use.
type Observer func(op string, d time.Duration, err error)
