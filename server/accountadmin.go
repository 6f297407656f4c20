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

// naamio account list, disable and enable (issue 16 item 1), run
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

// parseAccountEmail parses the arguments of naamio account disable and
// enable: one EMAIL.
func parseAccountEmail(verb string, fs *flag.FlagSet, args []string, stderr io.Writer) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, accountUsage)
		return "", fmt.Errorf("account %s: one EMAIL expected", verb)
	}
	email, err := account.NormalizeEmail(fs.Arg(0))
	if err != nil {
		return "", fmt.Errorf("account %s: %w", verb, err)
	}
	return email, nil
}

// accountByEmail is the account service and the account of email, for
// the command account VERB.
func accountByEmail(ctx context.Context, env *cmdEnv, verb, email string) (*account.Service, *account.Account, error) {
	svc, err := env.accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := svc.ByEmail(ctx, email)
	if err != nil {
		return nil, nil, fmt.Errorf("account %s %s: %w", verb, email, err)
	}
	return svc, a, nil
}

// parseAccountDisable is naamio account disable EMAIL.
func parseAccountDisable(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	email, err := parseAccountEmail("disable", fs, args, stderr)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		svc, a, err := accountByEmail(ctx, env, "disable", email)
		if err != nil {
			return err
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

// parseAccountEnable is naamio account enable EMAIL: the way back from
// account disable. The account logs in and starts sessions again; the
// provider issues it tokens again once every authorization code issued
// before it was disabled has expired (a minute past their life; at once
// when it was disabled longer ago). What disabling revoked (sessions,
// access tokens, grants) stays revoked. Enabling an enabled account
// changes nothing and says so.
func parseAccountEnable(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	email, err := parseAccountEmail("enable", fs, args, stderr)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		svc, a, err := accountByEmail(ctx, env, "enable", email)
		if err != nil {
			return err
		}
		changed, err := svc.Enable(ctx, a.ID)
		if err != nil {
			return err
		}
		// Also when nothing changed: an enable whose second step failed
		// completes when run again.
		from, err := env.reinstateAccount(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("account enable %s: enabled, but the provider still refuses it tokens (run again): %w", email, err)
		}
		switch {
		case !changed && time.Until(from) > 0:
			fmt.Fprintf(stdout, "%s is not disabled; apps get tokens for it from %s\n", email, from.UTC().Format("15:04:05Z"))
		case !changed:
			fmt.Fprintf(stdout, "%s is not disabled: nothing changed\n", email)
		case time.Until(from) > 0:
			fmt.Fprintf(stdout, "enabled %s: it can log in now; apps get tokens for it from %s (the sign-in codes issued before it was disabled expire then)\n",
				email, from.UTC().Format("15:04:05Z"))
		default:
			fmt.Fprintf(stdout, "enabled %s: it can log in and apps get tokens for it again\n", email)
		}
		return nil
	}, nil
}
