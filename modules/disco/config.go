package disco

import (
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// Config is the [modules.disco] table.
type Config struct {
	// Name is the name of the server's identity (category "server", type
	// "im") in disco#info answers; "" leaves the name out.
	// Default: "Meerkat".
	Name string `toml:"name"`
	// StreamCaps offers the server's XEP-0115 entity capabilities in the
	// stream features after authentication, so a client learns what the
	// server supports without a disco#info round trip. Default: true.
	StreamCaps bool `toml:"stream_caps"`
	// ContactAddresses are published as an XEP-0157 form (XEP-0128
	// extended information) in the server's disco#info. Default: none.
	ContactAddresses ContactAddresses `toml:"contact_addresses"`
}

// ContactAddresses are the XEP-0157 contact addresses of the service, each
// a URI such as "mailto:abuse@example.org", "xmpp:admin@example.org" or
// "https://example.org/support". A kind with no address is left out.
type ContactAddresses struct {
	Abuse    []string `toml:"abuse"`
	Admin    []string `toml:"admin"`
	Feedback []string `toml:"feedback"`
	Sales    []string `toml:"sales"`
	Security []string `toml:"security"`
	Status   []string `toml:"status"`
	Support  []string `toml:"support"`
}

// fields returns the XEP-0157 field names with their addresses, sorted by
// field name, leaving out empty ones.
func (c ContactAddresses) fields() []formField {
	all := []formField{
		{"abuse-addresses", c.Abuse},
		{"admin-addresses", c.Admin},
		{"feedback-addresses", c.Feedback},
		{"sales-addresses", c.Sales},
		{"security-addresses", c.Security},
		{"status-addresses", c.Status},
		{"support-addresses", c.Support},
	}
	out := all[:0]
	for _, f := range all {
		if len(f.Values) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Name: "Meerkat", StreamCaps: true}
}

// Validate reports every invalid value, each error naming its key.
func (c Config) Validate() error {
	var errs []error
	if !validText(c.Name) {
		errs = append(errs, errors.New("name: must be UTF-8 text without control characters"))
	}
	kinds := []struct {
		key  string
		list []string
	}{
		{"abuse", c.ContactAddresses.Abuse}, {"admin", c.ContactAddresses.Admin},
		{"feedback", c.ContactAddresses.Feedback}, {"sales", c.ContactAddresses.Sales},
		{"security", c.ContactAddresses.Security}, {"status", c.ContactAddresses.Status},
		{"support", c.ContactAddresses.Support},
	}
	for _, k := range kinds {
		for i, a := range k.list {
			if err := checkAddress(a); err != nil {
				errs = append(errs, fmt.Errorf("contact_addresses.%s[%d]: %w", k.key, i, err))
			}
		}
	}
	return errors.Join(errs...)
}

func checkAddress(a string) error {
	if a == "" || !validText(a) {
		return errors.New("must be a non-empty URI without control characters")
	}
	u, err := url.Parse(a)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%q is not a URI with a scheme (write mailto:..., xmpp:... or https://...)", a)
	}
	return nil
}

// validText reports whether s is UTF-8 that XML can carry as an attribute
// or text without surprises: no control characters but tab.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}
