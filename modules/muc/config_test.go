package muc

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid, else a substring of the error
	}{
		{"defaults", func(*Config) {}, ""},
		{"per host", func(c *Config) { c.Services = map[string]string{"example.org": "chat.example.org"} }, ""},
		{"empty domain", func(c *Config) { c.Domain = "" }, "domain"},
		{"bad domain", func(c *Config) { c.Domain = "a b@{host}/x" }, "domain"},
		{"bad service", func(c *Config) { c.Services = map[string]string{"example.org": ""} }, "services.example.org"},
		{"creation", func(c *Config) { c.RoomCreation = "everybody" }, "room_creation"},
		{"admin full JID", func(c *Config) { c.Admins = []string{"a@b/c"} }, "admins"},
		{"max users", func(c *Config) { c.MaxUsers = 0 }, "max_users"},
		{"history", func(c *Config) { c.HistoryLength = 200 }, "history_length"},
		{"whois", func(c *Config) { c.DefaultWhois = "everyone" }, "default_whois"},
		{"timeout", func(c *Config) { c.StorageTimeout = 0 * time.Second }, "storage_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one about %s", err, tc.want)
			}
		})
	}
}

func TestServiceFor(t *testing.T) {
	c := DefaultConfig()
	c.Services = map[string]string{"example.org": "Chat.Example.org"}
	for host, want := range map[string]string{"example.org": "chat.example.org", "localhost": "conference.localhost"} {
		if got := c.serviceFor(host); got != want {
			t.Errorf("serviceFor(%s) = %s, want %s", host, got, want)
		}
	}
}
