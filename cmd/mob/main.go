// Command mob is Meerkat's load generator. It drives any XMPP server over
// c2s (TCP with STARTTLS, direct TLS or none) and measures logins/s, the
// server's memory per idle session, one-to-one chat and MUC time to
// delivery at an offered rate, and the server's CPU per delivered stanza.
//
//	mob login  --users 2000 --concurrency 50
//	mob idle   --users 10000 --server-pid $(pidof meerkat)
//	mob chat   --users 1000 --rate 20000 --duration 30s
//	mob muc    --rooms 10 --occupants 20 --room-rate 5
//	mob seed-muc-big --scale 0.1
//	mob seed-muc-many --scale 0.1
//
// It refuses targets outside loopback unless --allow-remote is given.
// docs/load-testing.md describes every scenario and flag.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ error }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sc, ok := scenarios[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mob: unknown scenario %q\n\n%s", args[0], usage)
		return 2
	}
	err := runScenario(ctx, args[0], sc, args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mob %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "mob %s: %v\n", args[0], err)
		return 1
	}
}

const usage = `mob: a load generator for XMPP servers

usage: mob <scenario> [flags]

scenarios:
  login          N logins at concurrency C: logins/s, login time p50/p99
  idle           hold N sessions with presence: server KiB per session (--server-pid)
  chat           N users each send to a neighbour at an aggregate rate R for D
  muc            R rooms × U occupants, M messages/s per room
  seed-muc-big   the seed's 1 room × 3000 users at 10 msg/s (--scale)
  seed-muc-many  the seed's 2000 rooms × 25 users at 0.6 msg/s per room (--scale)

Run "mob <scenario> -h" for its flags; docs/load-testing.md explains them.
mob only targets loopback addresses unless --allow-remote is given.
`
