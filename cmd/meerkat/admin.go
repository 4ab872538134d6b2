package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/storage"
)

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("user: want add, del, passwd or list")}
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in defaults)")
	af := addAPIFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if *af.url != "" {
		// A running server: through its API, so that deleting a user also
		// ends the user's sessions and tells the modules.
		c, err := af.client()
		if err != nil {
			return err
		}
		return userViaAPI(ctx, c, sub, fs.Args(), stdin, stdout, stderr)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, nil)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer store.Close()

	if sub == "list" {
		hosts := cfg.General.Hosts
		if fs.NArg() == 1 {
			hosts = []string{fs.Arg(0)}
		}
		for _, h := range hosts {
			users, err := store.ListUsers(ctx, h)
			if err != nil {
				return err
			}
			for _, u := range users {
				fmt.Fprintf(stdout, "%s@%s\n", u, h)
			}
		}
		return nil
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("user %s: want exactly one JID (user@host)", sub)}
	}
	user, host, err := parseAccount(cfg, fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	switch sub {
	case "add", "passwd":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		creds, err := auth.DeriveCredentials(pw, cfg.Auth.SCRAMIterations)
		if err != nil {
			return usageError{err}
		}
		if sub == "add" {
			err = store.CreateUser(ctx, host, user, creds)
			if errors.Is(err, storage.ErrExists) {
				return fmt.Errorf("user %s@%s already exists", user, host)
			}
		} else {
			err = store.SetCredentials(ctx, host, user, creds)
		}
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no user %s@%s", user, host)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s@%s\n", map[string]string{"add": "added", "passwd": "password changed for"}[sub], user, host)
	case "del":
		if err := store.DeleteUser(ctx, host, user); errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no user %s@%s", user, host)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s@%s\n", user, host)
	default:
		return usageError{fmt.Errorf("user: unknown subcommand %q (want add, del, passwd or list)", sub)}
	}
	return nil
}

// parseAccount accepts user@host (host must be served) or a bare username
// on the first host, and normalizes it with PRECIS as logins do.
func parseAccount(cfg *config.Config, s string) (user, host string, err error) {
	if !strings.Contains(s, "@") {
		s += "@" + cfg.General.Hosts[0]
	}
	j, err := jid.Parse(s)
	if err != nil || j.Localpart() == "" || j.Resourcepart() != "" {
		return "", "", fmt.Errorf("%q is not a valid user JID", s)
	}
	for _, h := range cfg.General.Hosts {
		if h == j.Domainpart() {
			return j.Localpart(), h, nil
		}
	}
	return "", "", fmt.Errorf("host %q is not served (general.hosts)", j.Domainpart())
}

// readPassword prompts without echo on a terminal, or reads the first line
// of stdin, so scripts can pipe it and argv never carries it.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("passwords do not match")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input")
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{errors.New("empty password")}
	}
	return pw, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "configuration file (default: built-in defaults)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	cfg.Storage.AutoMigrate = false
	store, err := openStore(ctx, cfg, nil)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s schema is up to date\n", cfg.Storage.Backend)
	return nil
}

func cmdConfig(args []string, stdout io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		return usageError{errors.New("usage: meerkat config check FILE")}
	}
	cfg, err := config.Load(args[1])
	if err != nil {
		return usageError{err}
	}
	// Module tables are checked by the modules themselves, without starting.
	if _, err := buildModules(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[1])
	return nil
}
