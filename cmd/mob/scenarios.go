package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/term"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
)

// scenario is one subcommand: its own flags on top of the common ones,
// the number of accounts it needs, and the run.
type scenario struct {
	ramp  float64 // default --ramp
	flags func(fs *flag.FlagSet) *sizes
	run   func(ctx context.Context, cfg *mob.Config, s *sizes) (*mob.Result, error)
}

// sizes holds every scenario-specific flag; each scenario registers the
// ones it uses.
type sizes struct {
	users, rooms, occupants, body, senders int
	roomsPerUser                           int
	rate, roomRate, scale                  float64
	duration, drain, settle, hold          time.Duration
	presence                               bool
	service, roomPrefix                    string
	muc                                    func(scale float64) mob.MUCOptions
}

func (s *sizes) accounts() int {
	if s.rooms > 0 {
		return s.rooms * s.occupants
	}
	return s.users
}

var scenarios = map[string]scenario{
	"login": {ramp: 0, flags: func(fs *flag.FlagSet) *sizes {
		s := &sizes{}
		fs.IntVar(&s.users, "users", 1000, "logins to run (accounts first..first+N-1)")
		fs.BoolVar(&s.presence, "presence", false, "send initial presence and wait for its echo before closing")
		return s
	}, run: func(ctx context.Context, cfg *mob.Config, s *sizes) (*mob.Result, error) {
		return mob.Login(ctx, cfg, mob.LoginOptions{Users: s.users, Presence: s.presence})
	}},
	"idle": {ramp: 200, flags: func(fs *flag.FlagSet) *sizes {
		s := &sizes{}
		fs.IntVar(&s.users, "users", 1000, "sessions to hold")
		fs.DurationVar(&s.settle, "settle", 3*time.Second, "wait after the last login before reading the server's RSS")
		fs.DurationVar(&s.hold, "hold", 5*time.Second, "then hold the sessions this long")
		return s
	}, run: func(ctx context.Context, cfg *mob.Config, s *sizes) (*mob.Result, error) {
		return mob.Idle(ctx, cfg, mob.IdleOptions{Users: s.users, Settle: s.settle, Hold: s.hold})
	}},
	"chat": {ramp: 200, flags: func(fs *flag.FlagSet) *sizes {
		s := &sizes{}
		fs.IntVar(&s.users, "users", 100, "sessions; user i sends to user i+1")
		fs.Float64Var(&s.rate, "rate", 1000, "aggregate offered messages per second")
		trafficFlags(fs, s)
		fs.BoolVar(&s.presence, "presence", true, "send initial presence before chatting")
		return s
	}, run: func(ctx context.Context, cfg *mob.Config, s *sizes) (*mob.Result, error) {
		return mob.Chat(ctx, cfg, mob.ChatOptions{Users: s.users, Rate: s.rate, Duration: s.duration,
			Drain: s.drain, Body: s.body, Senders: s.senders, Presence: s.presence})
	}},
	"muc":           mucScenario(nil),
	"seed-muc-big":  mucScenario(mob.SeedMUCBig),
	"seed-muc-many": mucScenario(mob.SeedMUCMany),
}

func trafficFlags(fs *flag.FlagSet, s *sizes) {
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "sending time")
	fs.DurationVar(&s.drain, "drain", 5*time.Second, "longest wait for the last deliveries after sending stops")
	fs.IntVar(&s.body, "body", 64, "message body `bytes`")
	fs.IntVar(&s.senders, "senders", 0, "send loops (0: one per CPU)")
}

// mucScenario is muc, or a seed preset whose sizes are the defaults and
// --scale shrinks or grows.
func mucScenario(preset func(float64) mob.MUCOptions) scenario {
	return scenario{ramp: 200, flags: func(fs *flag.FlagSet) *sizes {
		s := &sizes{muc: preset}
		def := mob.MUCOptions{Rooms: 10, Occupants: 10, RatePerRoom: 1}
		if preset != nil {
			def = preset(1)
			fs.Float64Var(&s.scale, "scale", 1, "scale the seed's shape (users in seed-muc-big, rooms in seed-muc-many)")
		}
		fs.IntVar(&s.rooms, "rooms", def.Rooms, "rooms (seed presets: before --scale)")
		fs.IntVar(&s.occupants, "occupants", def.Occupants, "occupants per room (seed presets: before --scale)")
		fs.Float64Var(&s.roomRate, "room-rate", def.RatePerRoom, "messages per second per room")
		fs.StringVar(&s.service, "service", "", "MUC service domain (default conference.<domain>)")
		fs.StringVar(&s.roomPrefix, "room-prefix", "mob", "rooms are `prefix`<N>@service")
		fs.BoolVar(&s.presence, "presence", false, "send initial presence before joining")
		fs.IntVar(&s.roomsPerUser, "rooms-per-user", 1, "rooms each session occupies (fewer sockets for the same fan-out)")
		trafficFlags(fs, s)
		return s
	}, run: func(ctx context.Context, cfg *mob.Config, s *sizes) (*mob.Result, error) {
		o := mob.MUCOptions{Rooms: s.rooms, Occupants: s.occupants, RatePerRoom: s.roomRate,
			Duration: s.duration, Drain: s.drain, Service: s.service, RoomPrefix: s.roomPrefix,
			Body: s.body, Senders: s.senders, Presence: s.presence, RoomsPerUser: s.roomsPerUser}
		if s.muc != nil {
			o.Name = s.muc(1).Name
		}
		return mob.MUC(ctx, cfg, o)
	}}
}

func runScenario(ctx context.Context, name string, sc scenario, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mob "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, sc.ramp)
	s := sc.flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if s.muc != nil { // a seed preset: --scale applies to what the preset scales
		shape := s.muc(1)
		scaledShape := s.muc(s.scale)
		if s.rooms == shape.Rooms {
			s.rooms = scaledShape.Rooms
		}
		if s.occupants == shape.Occupants {
			s.occupants = scaledShape.Occupants
		}
	}
	if s.service == "" && (s.rooms > 0) {
		s.service = "conference." + c.domain
	}
	var progress io.Writer
	if f, ok := stdout.(*os.File); ok && !c.json && term.IsTerminal(int(f.Fd())) {
		progress = stdout
	}
	ctx, cancel := context.WithTimeout(ctx, c.maxTime)
	defer cancel()
	lookup := func(host string) error { return mob.CheckTarget(ctx, nil, host, c.allowRemote) }
	cfg, err := c.config(lookup, progress, stderr)
	if err != nil {
		return err
	}
	if c.metricsAddr != "" {
		stop, err := serveMetrics(c.metricsAddr, cfg)
		if err != nil {
			return err
		}
		defer stop()
	}
	if c.provision != "" {
		if err := provision(ctx, &c, cfg, s.accounts(), stderr); err != nil {
			return err
		}
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := sc.run(ctx, cfg, s)
	if res == nil {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return usageError{err}
		}
		return err
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("stopped early: %w", err)
	}
	if res.Logins.OK == 0 {
		return errors.New("no login succeeded: nothing was measured (-v prints the errors)")
	}
	return nil
}

// serveMetrics serves mob's metrics until stop is called.
func serveMetrics(addr string, cfg *mob.Config) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	cfg.Metrics = mob.NewMetrics(reg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}
