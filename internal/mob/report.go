package mob

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what a run reports, for people (WriteTable) and machines
// (JSON).
type Result struct {
	Scenario  string    `json:"scenario"`
	Target    string    `json:"target"`
	Transport string    `json:"transport"`
	TLS       string    `json:"tls"`
	Mech      string    `json:"mechanism"`
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"` // whole run, logins included
	Params    Params    `json:"params"`

	Logins Logins `json:"logins"`

	// Traffic is set for scenarios that send messages.
	Traffic *Traffic `json:"traffic,omitempty"`

	Server *ServerUse `json:"server,omitempty"`
	Mob    MobUse     `json:"mob"`

	Errors     uint64            `json:"errors"`
	ErrorKinds map[string]uint64 `json:"error_kinds,omitempty"`
}

// Params echoes the sizes and rates asked for.
type Params struct {
	Users          int     `json:"users"`
	Concurrency    int     `json:"concurrency"`
	Ramp           float64 `json:"ramp_per_second"` // 0: unthrottled
	Rooms          int     `json:"rooms,omitempty"`
	Occupants      int     `json:"occupants,omitempty"`
	RoomsPerUser   int     `json:"rooms_per_user,omitempty"`
	Rate           float64 `json:"rate_per_second,omitempty"` // aggregate offered message rate
	DurationSecond float64 `json:"duration_seconds,omitempty"`
	HoldSeconds    float64 `json:"hold_seconds,omitempty"`
}

// Logins summarizes the login phase.
type Logins struct {
	Attempted int64   `json:"attempted"`
	OK        int64   `json:"ok"`
	Failed    int64   `json:"failed"`
	PerSecond float64 `json:"per_second"` // ok / time the logins took
	Seconds   float64 `json:"seconds"`
	Time      Summary `json:"time"` // dial to bind (and presence echo)
}

// Traffic summarizes the messages of chat and muc.
type Traffic struct {
	Sent          uint64  `json:"sent"`     // messages sent
	Expected      uint64  `json:"expected"` // deliveries expected (sent × recipients)
	Received      uint64  `json:"received"` // timed deliveries
	Lost          uint64  `json:"lost"`     // expected − received after the drain
	Extra         uint64  `json:"extra"`    // received beyond expected (duplicates)
	Skipped       uint64  `json:"skipped_delayed"`
	OfferedRate   float64 `json:"offered_per_second"`
	SentRate      float64 `json:"sent_per_second"`
	DeliveredRate float64 `json:"delivered_per_second"`
	Seconds       float64 `json:"seconds"` // sending time
	Latency       Summary `json:"latency"` // time to delivery
	// Requests are the transport's own requests while sending and
	// draining (BOSH: HTTP requests), and their number per delivery.
	Requests            uint64  `json:"requests,omitempty"`
	RequestsPerDelivery float64 `json:"requests_per_delivery,omitempty"`
}

// ServerUse is what mob read about the server's process tree.
type ServerUse struct {
	PID            int     `json:"pid"`
	Procs          int     `json:"processes"`
	RSSBeforeKiB   int64   `json:"rss_before_kib"`
	RSSAfterKiB    int64   `json:"rss_after_kib"` // with the sessions held
	KiBPerSession  float64 `json:"kib_per_session,omitempty"`
	CPUSeconds     float64 `json:"cpu_seconds"`         // whole run
	CPUSetupSecs   float64 `json:"cpu_seconds_setup"`   // logins (and joins)
	CPUTraffic     float64 `json:"cpu_seconds_traffic"` // sending and draining
	CPUPerLoginUS  float64 `json:"cpu_us_per_login,omitempty"`
	CPUPerDelivery float64 `json:"cpu_us_per_delivery,omitempty"`
	Error          string  `json:"error,omitempty"`
}

// MobUse is the generator's own cost, and whether it was the bottleneck.
type MobUse struct {
	Cores        int      `json:"cores"`                // CPUs mob could use
	CPUSeconds   float64  `json:"cpu_seconds"`          // whole run
	SetupCores   float64  `json:"setup_cores_used"`     // average CPUs busy during logins
	TrafficCores float64  `json:"traffic_cores_used"`   // average CPUs busy during traffic
	MaxLagMS     float64  `json:"max_send_lag_ms"`      // send loop behind schedule, at worst
	Behind       int64    `json:"sends_behind_at_stop"` // sends still due when sending stopped
	GCHeld       bool     `json:"gc_held_in_traffic"`   // mob's collector was off for the traffic and drain
	GCInTraffic  uint64   `json:"gc_cycles_in_traffic"` // mob's collections from the traffic's start to the drain's end
	Saturated    bool     `json:"saturated"`
	Why          []string `json:"saturation,omitempty"`
}

// saturation thresholds: mob reports itself as the bottleneck above these.
const (
	saturatedCPU = 0.9                    // of the cores it may use
	saturatedLag = 100 * time.Millisecond // behind its send schedule
)

func (r *run) result(p Params) *Result {
	res := &Result{
		Scenario: r.scenario, Target: r.cfg.Target, Transport: r.cfg.Transport.Name(),
		TLS: string(r.cfg.TLS), Mech: r.cfg.Mech, Started: r.start,
		Seconds: r.tEnd.Sub(r.start).Seconds(), Params: p,
	}
	if res.Transport != "tcp" {
		res.TLS = ""
	}
	setup := r.tLogins.Sub(r.start)
	res.Logins = Logins{
		Attempted: r.attempted.Load(), OK: r.loginsOK.Load(), Failed: r.loginsFailed.Load(),
		Seconds: setup.Seconds(), Time: r.loginHist.Summary(),
	}
	if setup > 0 {
		res.Logins.PerSecond = float64(res.Logins.OK) / setup.Seconds()
	}
	traffic := r.tEnd.Sub(r.tTraffic)
	if r.sent.Load() > 0 || p.Rate > 0 {
		exp, got := r.expected.Load(), r.received.Load()
		t := &Traffic{
			Sent: r.sent.Load(), Expected: exp, Received: got, Skipped: r.untimed.Load(),
			OfferedRate: p.Rate, Seconds: p.DurationSecond, Latency: r.deliveryHist.Summary(),
		}
		if exp > got {
			t.Lost = exp - got
		} else {
			t.Extra = got - exp
		}
		// Over the schedule, or over the time it ran if stopped early
		// (the last send of a full schedule is due a little before its end).
		d := p.DurationSecond
		if el := r.tSendEnd.Sub(r.tTraffic).Seconds(); el < 0.9*d {
			d = el
		}
		if d > 0 {
			t.SentRate = float64(t.Sent) / d
		}
		if traffic > 0 {
			t.DeliveredRate = float64(got) / traffic.Seconds()
		}
		if t.Requests = r.reqEnd - r.reqSetup; t.Requests > 0 && got > 0 {
			t.RequestsPerDelivery = float64(t.Requests) / float64(got)
		}
		res.Traffic = t
	}
	if r.cfg.ServerPID > 0 {
		s := &ServerUse{PID: r.cfg.ServerPID}
		if r.srvErr != nil {
			s.Error = r.srvErr.Error()
		} else {
			s.Procs = r.srvEnd.Procs
			s.RSSBeforeKiB, s.RSSAfterKiB = r.srv0.RSSKiB, r.srvSetup.RSSKiB
			if n := res.Logins.OK; n > 0 && r.scenario == "idle" {
				s.KiBPerSession = float64(s.RSSAfterKiB-s.RSSBeforeKiB) / float64(n)
			}
			s.CPUSeconds = (r.srvEnd.CPU - r.srv0.CPU).Seconds()
			s.CPUSetupSecs = (r.srvSetup.CPU - r.srv0.CPU).Seconds()
			s.CPUTraffic = (r.srvEnd.CPU - r.srvSetup.CPU).Seconds()
			if n := res.Logins.OK; n > 0 {
				s.CPUPerLoginUS = s.CPUSetupSecs * 1e6 / float64(n)
			}
			if res.Traffic != nil && res.Traffic.Received > 0 {
				s.CPUPerDelivery = s.CPUTraffic * 1e6 / float64(res.Traffic.Received)
			}
		}
		res.Server = s
	}
	m := MobUse{Cores: cores(), CPUSeconds: (r.cpuEnd - r.cpu0).Seconds(),
		MaxLagMS: ms(time.Duration(r.maxLag.Load())), Behind: r.behind.Load(),
		GCHeld: r.gc != nil, GCInTraffic: r.gcInTraffic}
	if setup > 0 {
		m.SetupCores = float64(r.cpuLogins-r.cpu0) / float64(setup)
	}
	if traffic >= 100*time.Millisecond {
		m.TrafficCores = float64(r.cpuEnd-r.cpuSetup) / float64(traffic)
	}
	limit := saturatedCPU * float64(m.Cores)
	if m.SetupCores >= limit {
		m.Why = append(m.Why, fmt.Sprintf("mob used %.0f%% of its %d CPU(s) during the logins", 100*m.SetupCores/float64(m.Cores), m.Cores))
	}
	if res.Traffic != nil && m.TrafficCores >= limit {
		m.Why = append(m.Why, fmt.Sprintf("mob used %.0f%% of its %d CPU(s) during the traffic", 100*m.TrafficCores/float64(m.Cores), m.Cores))
	}
	if time.Duration(r.maxLag.Load()) >= saturatedLag {
		m.Why = append(m.Why, fmt.Sprintf("the send loop fell %.0f ms behind schedule", m.MaxLagMS))
	}
	if m.GCHeld && m.GCInTraffic > 0 {
		m.Why = append(m.Why, fmt.Sprintf("mob's collector ran %d time(s) in the timed window (past its memory headroom)", m.GCInTraffic))
	}
	if m.Behind > 0 && p.Rate > 0 && float64(m.Behind) > 0.01*p.Rate*p.DurationSecond {
		m.Why = append(m.Why, fmt.Sprintf("%d sends were still due when sending stopped", m.Behind))
	}
	m.Saturated = len(m.Why) > 0
	res.Mob = m
	r.errMu.Lock()
	res.ErrorKinds = maps.Clone(r.errs)
	r.errMu.Unlock()
	for _, c := range res.ErrorKinds {
		res.Errors += c
	}
	return res
}

// WriteTable prints the result for people.
func (res *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, f string, a ...any) { fmt.Fprintf(tw, "%s\t"+f+"\n", append([]any{k}, a...)...) }
	lat := func(s Summary) string {
		return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n=%d)", fmtMS(s.P50), fmtMS(s.P90), fmtMS(s.P99), fmtMS(s.MaxMS), s.Count)
	}
	tls := res.TLS
	if tls == "" {
		tls = "-"
	}
	row("scenario", "%s  against %s (%s, tls %s, %s)", res.Scenario, res.Target, res.Transport, tls, res.Mech)
	row("run", "%.1f s, started %s", res.Seconds, res.Started.Format(time.RFC3339))
	p := res.Params
	switch {
	case p.Rooms > 0:
		row("asked", "%d rooms × %d occupants, %s msg/s per room (%s msg/s) for %s s", p.Rooms, p.Occupants, num(p.Rate/float64(p.Rooms)), num(p.Rate), num(p.DurationSecond))
		if p.RoomsPerUser > 1 {
			row("", "%d sessions, each in %d rooms", p.Users, p.RoomsPerUser)
		}
	case p.Rate > 0:
		row("asked", "%d users, %s msg/s for %s s", p.Users, num(p.Rate), num(p.DurationSecond))
	default:
		row("asked", "%d users", p.Users)
	}
	ramp := "unthrottled"
	if p.Ramp > 0 {
		ramp = fmt.Sprintf("ramp %s/s", num(p.Ramp))
	}
	row("logins", "%d ok, %d failed of %d in %.2f s: %.1f/s (concurrency %d, %s)",
		res.Logins.OK, res.Logins.Failed, res.Logins.Attempted, res.Logins.Seconds, res.Logins.PerSecond, p.Concurrency, ramp)
	row("login time", "%s", lat(res.Logins.Time))
	if t := res.Traffic; t != nil {
		row("messages", "sent %d (%.1f/s of %s/s offered), deliveries expected %d, received %d, lost %d", t.Sent, t.SentRate, num(t.OfferedRate), t.Expected, t.Received, t.Lost)
		if t.Extra > 0 || t.Skipped > 0 {
			row("", "extra %d, skipped (delayed) %d", t.Extra, t.Skipped)
		}
		row("delivered", "%.1f/s", t.DeliveredRate)
		if t.Requests > 0 {
			row("requests", "%d (%.2f per delivery)", t.Requests, t.RequestsPerDelivery)
		}
		row("time to delivery", "%s", lat(t.Latency))
	}
	if s := res.Server; s != nil {
		if s.Error != "" {
			row("server", "pid %d: %s", s.PID, s.Error)
		} else {
			row("server memory", "RSS %d KiB before, %d KiB with the sessions (%d processes)", s.RSSBeforeKiB, s.RSSAfterKiB, s.Procs)
			if s.KiBPerSession != 0 {
				row("per session", "%.1f KiB", s.KiBPerSession)
			}
			row("server cpu", "%.2f s (logins %.2f s, traffic %.2f s)", s.CPUSeconds, s.CPUSetupSecs, s.CPUTraffic)
			if s.CPUPerLoginUS > 0 {
				row("", "%.0f µs per login", s.CPUPerLoginUS)
			}
			if s.CPUPerDelivery > 0 {
				row("", "%.2f µs per delivered stanza", s.CPUPerDelivery)
			}
		}
	}
	m := res.Mob
	if res.Traffic != nil {
		row("mob cpu", "%.2f s on %d CPU(s): %.0f%% of one during logins, %.0f%% during traffic; send lag max %.1f ms",
			m.CPUSeconds, m.Cores, 100*m.SetupCores, 100*m.TrafficCores, m.MaxLagMS)
		held := "held off"
		if !m.GCHeld {
			held = "running (--traffic-gc)"
		}
		row("mob gc", "%s during traffic and drain; %d collection(s) there", held, m.GCInTraffic)
	} else {
		row("mob cpu", "%.2f s on %d CPU(s): %.0f%% of one during logins", m.CPUSeconds, m.Cores, 100*m.SetupCores)
	}
	if m.Saturated {
		row("MOB SATURATED", "%s: the figures above may measure mob, not the server", strings.Join(m.Why, "; "))
	}
	row("errors", "%d", res.Errors)
	for _, k := range slices.Sorted(maps.Keys(res.ErrorKinds)) {
		row("", "%6d  %s", res.ErrorKinds[k], k)
	}
	return tw.Flush()
}

// num prints a rate or a duration without exponent or trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func fmtMS(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 100:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.0fms", v)
}
