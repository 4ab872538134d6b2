package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/meerkat-xmpp/meerkat/api"
)

// The environment the API commands read, so tokens stay off command lines.
const (
	envAPIURL    = "MEERKAT_API_URL"
	envAPIToken  = "MEERKAT_API_TOKEN"
	envAPISecret = "MEERKAT_API_SECRET"
)

// apiFlags are the flags of every command that talks to a running server.
type apiFlags struct {
	url, tokenFile *string
}

func addAPIFlags(fs *flag.FlagSet) apiFlags {
	return apiFlags{
		url:       fs.String("api", os.Getenv(envAPIURL), "a running server's HTTP listener, e.g. http://127.0.0.1:5280 (default $"+envAPIURL+")"),
		tokenFile: fs.String("token-file", "", "file whose first token line authenticates (default $"+envAPIToken+", or $"+envAPISecret+" to sign)"),
	}
}

// client returns the API client the flags and environment describe.
func (f apiFlags) client() (*api.Client, error) {
	if *f.url == "" {
		return nil, usageError{errors.New("no server: give -api URL or set " + envAPIURL)}
	}
	c := &api.Client{BaseURL: *f.url}
	switch {
	case *f.tokenFile != "":
		toks, err := readTokenFile(*f.tokenFile)
		if err != nil {
			return nil, usageError{err}
		}
		c.Token = toks[0]
	case os.Getenv(envAPIToken) != "":
		c.Token = os.Getenv(envAPIToken)
	case os.Getenv(envAPISecret) != "":
		c.Secret = []byte(os.Getenv(envAPISecret))
	default:
		return nil, usageError{errors.New("no credentials: give -token-file, or set " + envAPIToken + " or " + envAPISecret)}
	}
	return c, nil
}

// cmdSessions lists a running server's sessions, one per line: full JID,
// "available" or "connected", priority.
func cmdSessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	af := addAPIFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	list, err := c.Sessions(ctx)
	if err != nil {
		return err
	}
	for _, s := range list {
		state := "connected"
		if s.Available {
			state = "available"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%d\n", s.JID, state, s.Priority)
	}
	return nil
}

// cmdSend sends one message through a running server: the body is the
// arguments after the recipient, or standard input when there are none.
func cmdSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	af := addAPIFlags(fs)
	from := fs.String("from", "", "sender: a local account or served domain (default: the server's api.service_jid)")
	typ := fs.String("type", "chat", "message type: chat, normal or headline")
	subject := fs.String("subject", "", "message subject")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() < 1 {
		return usageError{errors.New("send: want a recipient JID and a message")}
	}
	body := strings.Join(fs.Args()[1:], " ")
	if fs.NArg() == 1 {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return err
		}
		body = strings.TrimRight(string(b), "\r\n")
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	r, err := c.SendMessage(ctx, api.MessageRequest{From: *from, To: fs.Arg(0), Body: body, Subject: *subject, Type: *typ})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent %s\n", r.ID)
	return nil
}

// userViaAPI runs `meerkat user` against a running server.
func userViaAPI(ctx context.Context, c *api.Client, sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if sub == "list" {
		host := ""
		if len(args) == 1 {
			host = args[0]
		}
		users, err := c.Users(ctx, host)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintln(stdout, u)
		}
		return nil
	}
	if len(args) != 1 || !strings.Contains(args[0], "@") {
		return usageError{fmt.Errorf("user %s: want exactly one JID (user@host)", sub)}
	}
	j := args[0]
	switch sub {
	case "add", "passwd":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if sub == "add" {
			if j, err = c.CreateUser(ctx, j, pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added %s\n", j)
			return nil
		}
		if err := c.SetPassword(ctx, j, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password changed for %s\n", j)
	case "del":
		if err := c.DeleteUser(ctx, j); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s\n", j)
	default:
		return usageError{fmt.Errorf("user: unknown subcommand %q (want add, del, passwd or list)", sub)}
	}
	return nil
}
