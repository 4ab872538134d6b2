package wordpress

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
)

// TestFixtureScript runs testdata/make_fixtures.php with Debian's
// WordPress and checks that what WordPress makes now (fresh salts, tokens
// and hashes) verifies here too, so the committed fixtures are not the
// only WordPress output ever checked. Needs php-cli and wordpress; CI
// installs them (scripts/test.sh).
func TestFixtureScript(t *testing.T) {
	php, err := exec.LookPath("php")
	_, wpErr := os.Stat("/usr/share/wordpress/wp-includes/pluggable.php")
	if err != nil || wpErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("php (%v) or Debian's wordpress (%v) missing, and CI=true", err, wpErr)
		}
		t.Skipf("php (%v) or Debian's wordpress (%v) missing", err, wpErr)
	}
	out, err := exec.Command(php, "testdata/make_fixtures.php").Output()
	if err != nil {
		t.Fatalf("make_fixtures.php: %v", err)
	}
	var f wptest.Fixtures
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	s := Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt}
	for _, u := range f.Users {
		if !CheckPassword(u.Password, u.UserPass) {
			t.Errorf("%s hash %q does not verify", u.Kind, u.UserPass)
		}
	}
	valid := 0
	for _, fc := range f.Cookies {
		c, err := ParseCookie(fc.Value)
		if err != nil {
			t.Fatalf("%s: %v", fc.Name, err)
		}
		u := f.User(fc.UserID)
		ok := s.Verify(c, u.Login, u.UserPass, wptest.Now)
		if ok && !c.Legacy() {
			ok = SessionValid(f.SessionTokens(fc.UserID), c.Token, wptest.Now)
		}
		if ok != (fc.ValidFor != "") {
			t.Errorf("%s of %s: valid %v", fc.Name, u.Login, ok)
		}
		if ok {
			valid++
		}
	}
	if valid < 6 {
		t.Errorf("only %d valid cookies", valid)
	}
}
