package wordpress

import (
	"encoding/json"
	"os"
	"testing"
)

// fixtures is testdata/fixtures.json, made by WordPress's own PHP
// (testdata/make_fixtures.sh).
type fixtures struct {
	WordPress    string `json:"wordpress"`
	LoggedInKey  string `json:"logged_in_key"`
	LoggedInSalt string `json:"logged_in_salt"`
	Users        []struct {
		ID       uint64 `json:"id"`
		Login    string `json:"login"`
		Password string `json:"password"`
		Kind     string `json:"kind"`
		UserPass string `json:"user_pass"`
	} `json:"users"`
	Cookies []struct {
		Name       string `json:"name"`
		UserID     uint64 `json:"user_id"`
		Value      string `json:"value"`
		Expiration int64  `json:"expiration"`
		Legacy     bool   `json:"legacy"`
		ValidFor   string `json:"valid_for"` // "" when it must fail
	} `json:"cookies"`
	UserMeta []struct {
		UserID    uint64 `json:"user_id"`
		MetaKey   string `json:"meta_key"`
		MetaValue string `json:"meta_value"`
	} `json:"usermeta"`
}

func loadFixtures(t testing.TB) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Users) < 4 || len(f.Cookies) < 9 {
		t.Fatalf("fixtures too small: %d users, %d cookies", len(f.Users), len(f.Cookies))
	}
	return &f
}

func (f *fixtures) secrets() Secrets {
	return Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt}
}

func (f *fixtures) user(id uint64) (login, pass string) {
	for _, u := range f.Users {
		if u.ID == id {
			return u.Login, u.UserPass
		}
	}
	return "", ""
}

func (f *fixtures) sessionTokens(id uint64) []byte {
	for _, m := range f.UserMeta {
		if m.UserID == id && m.MetaKey == "session_tokens" {
			return []byte(m.MetaValue)
		}
	}
	return nil
}
