// Command meerkat is the Meerkat XMPP server: `meerkat serve` runs it, the
// other subcommands manage users, the schema and the configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// exitUsage is the exit code for bad configuration or command lines.
const exitUsage = 2

const usage = `Usage: meerkat <command> [flags]

Commands:
  serve [-config FILE]                 run the server (defaults: host localhost, data in ./data)
  user add|del|passwd|list [-config FILE | -api URL] [JID]
                                       manage accounts; passwords are read from the terminal
                                       or from the first line of standard input. Without -api
                                       (or $MEERKAT_API_URL) it works on the database directly;
                                       with it, on a running server through its HTTP API
  sessions [-api URL]                  list a running server's client sessions
  send [-api URL] [-from JID] [-type T] [-subject S] TO [BODY...]
                                       send a message through a running server (body from
                                       standard input when not given)
                                       The API commands authenticate with -token-file FILE,
                                       $MEERKAT_API_TOKEN, or $MEERKAT_API_SECRET (signed)
  migrate [-config FILE]               bring the storage schema up to date
  config check FILE                    validate a configuration file without starting
  version                              print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line; it returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "user":
		err = cmdUser(ctx, args[1:], stdin, stdout, stderr)
	case "sessions":
		err = cmdSessions(ctx, args[1:], stdout, stderr)
	case "send":
		err = cmdSend(ctx, args[1:], stdin, stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout)
	case "config":
		err = cmdConfig(args[1:], stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "meerkat", version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "meerkat: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "meerkat:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return 1
}

// usageError marks errors that exit with code 2: a bad command line or config.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// version reports the module version stamped by the Go toolchain.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		if v != "" {
			return v
		}
	}
	return "(devel)"
}
