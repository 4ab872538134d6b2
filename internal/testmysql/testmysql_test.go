package testmysql

import (
	"database/sql"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestDSN(t *testing.T) {
	dsn := DSN(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "meerkat_testdsn_") {
		t.Errorf("database %q", name)
	}
	if _, err := db.Exec("CREATE TABLE t (x INT); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("the database is not writable, or multi-statements are off: %v", err)
	}
}

func TestDBName(t *testing.T) {
	long := dbName(strings.Repeat("VeryLong/Test-Name ", 10))
	if len(long) > 64 || !strings.HasPrefix(long, "meerkat_verylong_test_name_") {
		t.Errorf("dbName = %q (%d)", long, len(long))
	}
	if a, b := dbName("x"), dbName("x"); a == b {
		t.Errorf("two databases named %q", a)
	}
}
