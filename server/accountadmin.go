package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/naamio/naamio/idp/account"
)

// naamio account list and naamio account disable (issue 16 item 1), run
// by the running server through the admin socket or on a stopped one's
// store (admincmd.go).

// parseAccountList is naamio account list.
func parseAccountList(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, accountUsage)
		return nil, errors.New("account list: no arguments expected")
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		svc, err := env.accounts(ctx)
		if err != nil {
			return err
		}
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		for _, a := range list {
			var flags []string
			if a.Admin {
				flags = append(flags, "admin")
			}
			if a.Disabled {
				flags = append(flags, "disabled")
			}
			pods := strings.Join(a.Pods, ",")
			if pods == "" {
				pods = "-"
			}
			state := strings.Join(flags, ",")
			if state == "" {
				state = "-"
			}
			fmt.Fprintf(stdout, "%s\tpods=%s\t%s\tcreated=%s\n", a.Email, pods, state, a.Created.UTC().Format(time.RFC3339))
		}
		return nil
	}, nil
}

// parseAccountDisable is naamio account disable EMAIL.
func parseAccountDisable(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, accountUsage)
		return nil, errors.New("account disable: one EMAIL expected")
	}
	email, err := account.NormalizeEmail(fs.Arg(0))
	if err != nil {
		return nil, fmt.Errorf("account disable: %w", err)
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		svc, err := env.accounts(ctx)
		if err != nil {
			return err
		}
		a, err := svc.ByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("account disable %s: %w", email, err)
		}
		// Disabled first (no new log-in, session or credential), then the
		// tokens: the revocation's marker also refuses a code or refresh
		// token checked just before.
		if err := svc.Disable(ctx, a.ID); err != nil {
			return err
		}
		if err := env.revokeAccount(ctx, a.ID); err != nil {
			return fmt.Errorf("account disable %s: disabled, but revoking its tokens failed (run again): %w", email, err)
		}
		fmt.Fprintf(stdout, "disabled %s (pods %s stay)\n", email, strings.Join(a.Pods, ","))
		return nil
	}, nil
}
