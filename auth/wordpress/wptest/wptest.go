// Package wptest loads the WordPress fixtures of auth/wordpress/testdata
// (made by WordPress's own PHP, see make_fixtures.sh) and seeds a real
// MariaDB database with a WordPress users and usermeta schema holding
// them, for tests of the wordpress backend and of logins end to end.
package wptest

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the database/sql driver
)

// Now is a time at which the fixtures' valid cookies are valid and the
// expired ones expired (2027-01-15).
var Now = time.Unix(1800000000, 0)

// User is one wp_users row and the password it was made from.
type User struct {
	ID       uint64 `json:"id"`
	Login    string `json:"login"`
	Password string `json:"password"`
	Kind     string `json:"kind"` // phpass, bcrypt or wp68
	UserPass string `json:"user_pass"`
}

// Cookie is a logged-in cookie value WordPress made.
type Cookie struct {
	Name       string `json:"name"`
	UserID     uint64 `json:"user_id"`
	Value      string `json:"value"`
	Expiration int64  `json:"expiration"`
	Legacy     bool   `json:"legacy"`
	ValidFor   string `json:"valid_for"` // the login it is valid for; "" when it must fail
}

// Meta is one wp_usermeta row.
type Meta struct {
	UserID    uint64 `json:"user_id"`
	MetaKey   string `json:"meta_key"`
	MetaValue string `json:"meta_value"`
}

// Fixtures is testdata/fixtures.json.
type Fixtures struct {
	WordPress    string   `json:"wordpress"`
	LoggedInKey  string   `json:"logged_in_key"`
	LoggedInSalt string   `json:"logged_in_salt"`
	Users        []User   `json:"users"`
	Cookies      []Cookie `json:"cookies"`
	UserMeta     []Meta   `json:"usermeta"`
}

// Modern returns a valid cookie of the four-part form of WordPress 4.0 and
// later (login|expiration|token|hmac), or the first cookie when there is none.
func (f *Fixtures) Modern() Cookie {
	for _, c := range f.Cookies {
		if c.ValidFor != "" && strings.Count(c.Value, "|") == 3 {
			return c
		}
	}
	return f.Cookies[0]
}

// Load reads the fixtures.
func Load(t testing.TB) *Fixtures {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f Fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Users) < 4 || len(f.Cookies) < 9 {
		t.Fatalf("fixtures too small: %d users, %d cookies", len(f.Users), len(f.Cookies))
	}
	return &f
}

// User returns the user with id.
func (f *Fixtures) User(id uint64) User {
	for _, u := range f.Users {
		if u.ID == id {
			return u
		}
	}
	return User{}
}

// SessionTokens returns the session_tokens meta value of a user.
func (f *Fixtures) SessionTokens(id uint64) []byte {
	for _, m := range f.UserMeta {
		if m.UserID == id && m.MetaKey == "session_tokens" {
			return []byte(m.MetaValue)
		}
	}
	return nil
}

// Seed creates prefix+"users" and prefix+"usermeta" as WordPress's
// wp-admin/includes/schema.php does and fills them with the fixtures.
func Seed(t testing.TB, dsn, prefix string) *Fixtures {
	t.Helper()
	f := Load(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := `CREATE TABLE ` + prefix + `users (
	ID bigint(20) unsigned NOT NULL auto_increment,
	user_login varchar(60) NOT NULL default '',
	user_pass varchar(255) NOT NULL default '',
	user_nicename varchar(50) NOT NULL default '',
	user_email varchar(100) NOT NULL default '',
	user_url varchar(100) NOT NULL default '',
	user_registered datetime NOT NULL default '0000-00-00 00:00:00',
	user_activation_key varchar(255) NOT NULL default '',
	user_status int(11) NOT NULL default '0',
	display_name varchar(250) NOT NULL default '',
	PRIMARY KEY  (ID),
	KEY user_login_key (user_login),
	KEY user_nicename (user_nicename),
	KEY user_email (user_email)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE TABLE ` + prefix + `usermeta (
	umeta_id bigint(20) unsigned NOT NULL auto_increment,
	user_id bigint(20) unsigned NOT NULL default '0',
	meta_key varchar(255) default NULL,
	meta_value longtext,
	PRIMARY KEY  (umeta_id),
	KEY user_id (user_id),
	KEY meta_key (meta_key(191))
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;`
	if _, err := db.ExecContext(ctx, "SET SESSION sql_mode = ''; "+schema); err != nil {
		t.Fatalf("wptest: schema: %v", err)
	}
	for _, u := range f.Users {
		if _, err := db.ExecContext(ctx, "INSERT INTO "+prefix+"users (ID, user_login, user_pass, user_registered) VALUES (?, ?, ?, NOW())",
			u.ID, u.Login, u.UserPass); err != nil {
			t.Fatalf("wptest: user %s: %v", u.Login, err)
		}
	}
	for _, m := range f.UserMeta {
		if _, err := db.ExecContext(ctx, "INSERT INTO "+prefix+"usermeta (user_id, meta_key, meta_value) VALUES (?, ?, ?)",
			m.UserID, m.MetaKey, m.MetaValue); err != nil {
			t.Fatalf("wptest: meta: %v", err)
		}
	}
	return f
}

// Exec runs one statement on dsn.
func Exec(dsn, query string, args ...any) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(query, args...)
	return err
}
