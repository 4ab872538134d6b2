package disco

import (
	"reflect"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*Config)
		wantErr string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"no name", func(c *Config) { c.Name = "" }, ""},
		{"control character in name", func(c *Config) { c.Name = "Meer\x01kat" }, "name:"},
		{"invalid UTF-8 in name", func(c *Config) { c.Name = "\xff" }, "name:"},
		{"addresses", func(c *Config) {
			c.ContactAddresses.Abuse = []string{"mailto:abuse@example.org"}
			c.ContactAddresses.Admin = []string{"xmpp:admin@example.org", "https://example.org/admin"}
		}, ""},
		{"address without scheme", func(c *Config) { c.ContactAddresses.Support = []string{"support@example.org"} },
			"contact_addresses.support[0]:"},
		{"empty address", func(c *Config) { c.ContactAddresses.Status = []string{"https://status.example.org", ""} },
			"contact_addresses.status[1]:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate() = %v, want an error about %q", err, tc.wantErr)
			}
			if _, nerr := New(c); (nerr == nil) != (err == nil) {
				t.Errorf("New() error %v disagrees with Validate() %v", nerr, err)
			}
		})
	}
}

// TestConfigExamples decodes the README example and, when it configures
// this module, the shipped meerkat.toml: both must give the defaults.
func TestConfigExamples(t *testing.T) {
	servertest.CheckConfigExamples(t, Name, DefaultConfig, Config.Validate)
}

// TestDecodeContactAddresses checks the nested table decodes as the
// README documents it.
func TestDecodeContactAddresses(t *testing.T) {
	m, ok := servertest.ModuleTable(t, "testdata/contact.toml", Name)
	if !ok {
		t.Fatal("no table")
	}
	c := DefaultConfig()
	if err := m.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := ContactAddresses{Abuse: []string{"mailto:abuse@example.org"}, Admin: []string{"xmpp:admin@example.org"}}
	if !reflect.DeepEqual(c.ContactAddresses, want) || c.Name != "Example IM" {
		t.Errorf("decoded %+v", c)
	}
}
