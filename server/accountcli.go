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
	"os"
	"strings"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

const accountUsage = `Usage (the server must be stopped: the store is opened directly):
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
`

// accountCommand is the headless set-up of accounts and pods.
func accountCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reset-link" {
		return resetLinkCommand(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, accountUsage)
		return errors.New("account: create or reset-link expected")
	}
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	base := fs.String("base-url", envOr("NAAMIO_BASE_URL", defaults().BaseURL), "public base URL of the server (env NAAMIO_BASE_URL)")
	email := fs.String("email", "", "the account's email address")
	name := fs.String("pod", "", "the pod's name (its path is /NAME/)")
	layout := fs.String("pod-layout", envOr("NAAMIO_POD_LAYOUT", defaults().PodLayout), "path or subdomain (env NAAMIO_POD_LAYOUT)")
	admin := fs.Bool("admin", false, "make the account an administrator")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || *name == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, accountUsage)
		return errors.New("account: --email and --pod are required")
	}
	if err := pod.ValidName(*name); err != nil {
		return err
	}
	if u, err := url.Parse(*base); err != nil {
		return fmt.Errorf("base URL: %w", err)
	} else if err := checkPodLayout(*layout, u); err != nil {
		return err
	}
	password := os.Getenv("NAAMIO_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(io.LimitReader(stdin, account.MaxPasswordBytes+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	st, err := openStopped(*dir, true)
	if err != nil {
		return err
	}
	defer st.Close()
	webID, err := createAccount(context.Background(), st, *base, *email, password, *name, *admin, *layout == "subdomain")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, webID)
	return nil
}

// createAccount provisions an account and its pod, undoing the account if
// the pod cannot be made. The pod's issuer is this server.
func createAccount(ctx context.Context, st *badgerstore.Store, base, email, password, name string, admin, subdomain bool) (string, error) {
	akv, err := st.KV(kv.Accounts)
	if err != nil {
		return "", err
	}
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: base})
	if err != nil {
		return "", err
	}
	pods, err := openPods(st)
	if err != nil {
		return "", err
	}
	prov, err := idp.NewProvisioner(idp.ProvisionerOptions{Store: st, Accounts: accounts, Pods: pods, BaseURL: base, Subdomain: subdomain,
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

// resetLinkCommand issues a password-reset link offline (no SMTP needed).
func resetLinkCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account reset-link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr("NAAMIO_DATA", "./data"), "data directory (env NAAMIO_DATA)")
	base := fs.String("base-url", envOr("NAAMIO_BASE_URL", defaults().BaseURL), "public base URL of the server (env NAAMIO_BASE_URL)")
	email := fs.String("email", "", "the account's email address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, accountUsage)
		return errors.New("account: --email is required")
	}
	st, err := openStopped(*dir, false)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	akv, err := st.KV(kv.Accounts)
	if err != nil {
		return err
	}
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: *base})
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
	fmt.Fprintf(stdout, "%s.idp/reset?token=%s\n", strings.TrimSuffix(*base, "/")+"/", url.QueryEscape(token))
	return nil
}
