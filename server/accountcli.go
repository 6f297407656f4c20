package server

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

const accountUsage = `Usage (while the server runs, through its admin socket; else on the store):
  naamio account create --email EMAIL --pod NAME [--admin] [--data DIR] [--base-url URL]
                        [--pod-layout path|subdomain]
      create an account with a pod at <base>/NAME/ (or https://NAME.<host>/
      with --pod-layout subdomain) and print its WebID. The
      password is read from the NAAMIO_PASSWORD environment variable or, if
      that is empty, from the first line of standard input (never from a flag:
      command lines are visible to other users). Registration modes do not
      apply: this is the operator's way to set up accounts. On a new data
      directory the first account's WebID also becomes the server's owner
      (the root ACL), as --owner-webid would make it.
  naamio account reset-link --email EMAIL [--data DIR] [--base-url URL]
      print a single-use password-reset link (valid one hour) for the account,
      for servers without mail: hand it to the account's owner.
  naamio account list [--data DIR]
      list the accounts: email, pods, admin, disabled, created.
  naamio account disable [--data DIR] EMAIL
      disable the account: it cannot log in or get tokens, its sessions
      end and its access tokens and grants are revoked at once (on a
      running server too). Its pods stay and keep serving what is public.
  naamio account enable [--data DIR] EMAIL
      enable a disabled account again: it can log in at once; apps get
      tokens for it once the sign-in codes issued before it was disabled
      have expired (at most two minutes after the disable). Enabling an
      enabled account changes nothing.
`

// accountCommand is naamio account ARGS: the headless set-up of
// accounts and pods.
func accountCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return groupCommand("account", args, stdin, stdout, stderr)
}

// parseAccountCreate is naamio account create.
func parseAccountCreate(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
	email := fs.String("email", "", "the account's email address")
	name := fs.String("pod", "", "the pod's name (its path is /NAME/)")
	layout := fs.String("pod-layout", d.podLayout, "path or subdomain (env NAAMIO_POD_LAYOUT)")
	admin := fs.Bool("admin", false, "make the account an administrator")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *email == "" || *name == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, accountUsage)
		return nil, errors.New("account: --email and --pod are required")
	}
	if err := pod.ValidName(*name); err != nil {
		return nil, err
	}
	if u, err := checkBaseURL(*base); err != nil {
		return nil, err
	} else if err := checkPodLayout(*layout, u); err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, stdin io.Reader, stdout, _ io.Writer) error {
		// Never from a flag: command lines are visible to other users.
		password := env.getenv("NAAMIO_PASSWORD")
		if password == "" && stdin != nil {
			line, err := bufio.NewReader(io.LimitReader(stdin, account.MaxPasswordBytes+2)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
		}
		webID, err := createAccount(ctx, env, *base, *email, password, *name, *admin, *layout == "subdomain")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, webID)
		return err
	}, nil
}

// createAccount provisions an account and its pod, undoing the account if
// the pod cannot be made. The pod's issuer is this server.
//
// The account service is env.accounts (not the running server's own, so
// that its settings apply exactly as offline: not at all); the pod
// registry is the running server's own, which serves the new pod at
// once.
func createAccount(ctx context.Context, env *cmdEnv, base, email, password, name string, admin, subdomain bool) (string, error) {
	st := env.store
	accounts, err := env.accounts(ctx)
	if err != nil {
		return "", err
	}
	prov, err := idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: env.pods, BaseURL: base, Subdomain: subdomain,
		// On a store that has no root ACL yet, the first account set up
		// this way is the server's owner (what --owner-webid would do).
		OnPodCreated: func(ctx context.Context, _ *account.Account, webID string) error {
			return ensureRootACL(ctx, st, base, webID, discardLogger())
		}})
	if err != nil {
		return "", err
	}
	acct, err := prov.SignUp(ctx, idp.SignUp{NewAccount: account.NewAccount{Email: email, Password: password}, Pod: name, Operator: true, Admin: admin})
	if errors.Is(err, idp.ErrNameRetired) {
		// SECURITY.md row 57; naamio pod release frees the name.
		return "", fmt.Errorf("%w (naamio pod release %s frees it)", err, name)
	}
	if err != nil {
		return "", err
	}
	return acct.WebIDs[len(acct.WebIDs)-1], nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// openAccounts is an account service on st's records for the operator's
// commands: no registration mode, no first-account-admin rule. (Its base
// URL would only make cookies Secure, and it sets none.)
func openAccounts(ctx context.Context, st *badgerstore.Store) (*account.Service, error) {
	akv, err := st.KV(kv.Accounts)
	if err != nil {
		return nil, err
	}
	return account.New(ctx, akv, account.Options{})
}

// checkBaseURL refuses a base URL that is not an absolute http(s) URL.
func checkBaseURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", base)
	}
	return u, nil
}

// parseResetLink is naamio account reset-link: a password-reset link
// made without mail (no SMTP needed). The link is printed for the
// operator, never logged.
func parseResetLink(fs *flag.FlagSet, d cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	base := fs.String("base-url", d.baseURL, "public base URL of the server (env NAAMIO_BASE_URL)")
	email := fs.String("email", "", "the account's email address")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *email == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, accountUsage)
		return nil, errors.New("account: --email is required")
	}
	if _, err := checkBaseURL(*base); err != nil {
		return nil, err
	}
	return func(ctx context.Context, env *cmdEnv, _ io.Reader, stdout, _ io.Writer) error {
		accounts, err := env.accounts(ctx)
		if err != nil {
			return err
		}
		token, err := accounts.NewResetToken(ctx, *email)
		if err != nil {
			return err
		}
		if token == "" {
			return fmt.Errorf("account: no account with the email %s", *email)
		}
		_, err = fmt.Fprintf(stdout, "%s.idp/reset?token=%s\n", strings.TrimSuffix(*base, "/")+"/", url.QueryEscape(token))
		return err
	}, nil
}
