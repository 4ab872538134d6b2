package mob

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Config is what every scenario shares: where the server is, who logs in,
// and how fast.
type Config struct {
	// Transport dials the server; its address must have passed CheckTarget.
	Transport Transport
	// Target names the server in reports (an address or a URL).
	Target string
	// TLS is the TCP TLS mode (for the report and STARTTLS).
	TLS TLSMode
	// Domain is the XMPP domain of the accounts and the stream's 'to'.
	Domain string
	// Mech is the SASL mechanism: PLAIN, SCRAM-SHA-1, SCRAM-SHA-256 or
	// SCRAM-SHA-512.
	Mech string
	// Accounts are UserPrefix<N>@Domain for N from First, with Password.
	UserPrefix string
	Password   string
	First      int
	// Resource is bound by every session.
	Resource string
	// Ramp is the login rate (logins/s); ≤ 0: as fast as Concurrency allows.
	Ramp float64
	// Concurrency bounds logins in flight.
	Concurrency int
	// Timeout bounds each login and each wait for a reply.
	Timeout time.Duration
	// ServerPID, when > 0, is the server process whose RSS and CPU time
	// (with its descendants') are reported.
	ServerPID int
	// Progress, when set, gets a live one-line view (a terminal).
	Progress io.Writer
	// Metrics, when set, exports the run's counters to Prometheus.
	Metrics *Metrics
	// ErrorLog, when set, gets the first errors of each kind in full.
	ErrorLog io.Writer
	// TrafficGC lets mob's own collector run during the timed window. By
	// default mob holds it off there (see gcHold), so that its pauses are
	// not counted as the server's latency.
	TrafficGC bool
}

// Validate checks the fields that do not depend on the scenario.
func (c *Config) Validate() error {
	var errs []error
	if c.Transport == nil {
		errs = append(errs, errors.New("no transport"))
	}
	if c.Domain == "" {
		errs = append(errs, errors.New("--domain is empty"))
	}
	if !slices.Contains(Mechanisms, c.Mech) {
		errs = append(errs, fmt.Errorf("--mech %q: want one of %v", c.Mech, Mechanisms))
	}
	if c.UserPrefix == "" || c.Password == "" {
		errs = append(errs, errors.New("--user-prefix and --password must not be empty"))
	}
	if c.First < 0 {
		errs = append(errs, errors.New("--first must be ≥ 0"))
	}
	if c.Concurrency < 1 {
		errs = append(errs, errors.New("--concurrency must be ≥ 1"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be > 0"))
	}
	return errors.Join(errs...)
}

// Account returns the i-th account of the run (from 0).
func (c *Config) Account(i int) Account {
	return Account{User: c.UserPrefix + strconv.Itoa(c.First+i), Domain: c.Domain, Password: c.Password, Resource: c.Resource}
}
