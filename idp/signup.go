package idp

import (
	"context"
	"errors"
	"fmt"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
)

// SignUp is an account to create with its first pod.
type SignUp struct {
	account.NewAccount
	// Pod is the name of the account's first pod.
	Pod string
	// Operator: the server's operator creates the account (naamio account
	// create), so the registration mode and sign-up limits do not apply
	// (account.Service.Provision) and Admin says whether it administers
	// the server. Otherwise it is a sign-up under the server's rules
	// (account.Service.Create).
	Operator bool
	Admin    bool
}

// SignUp creates the account, then its pod. When the pod cannot be made
// the account is undone (Undo, not DeleteAccount: the first account's
// marker goes too, so that the next sign-up becomes the administrator
// when this one would have), so that the user can simply retry. A bad or
// retired pod name is refused before any account exists. It returns the
// account with its pod and WebID.
func (p *Provisioner) SignUp(ctx context.Context, s SignUp) (*account.Account, error) {
	if err := pod.ValidName(s.Pod); err != nil {
		return nil, err
	}
	if p.pods.Retired(s.Pod) {
		return nil, fmt.Errorf("%w: %s", ErrNameRetired, s.Pod) // SECURITY.md row 57; CreatePod checks again
	}
	var acct *account.Account
	var err error
	if s.Operator {
		acct, err = p.accounts.Provision(ctx, s.NewAccount, s.Admin)
	} else {
		acct, err = p.accounts.Create(ctx, s.NewAccount)
	}
	if err != nil {
		return nil, err
	}
	webID, err := p.CreatePod(ctx, acct.ID, s.Pod)
	if err != nil {
		if uerr := p.Undo(context.WithoutCancel(ctx), acct.ID); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return nil, err
	}
	acct.Pods = append(acct.Pods, s.Pod)
	acct.WebIDs = append(acct.WebIDs, webID)
	return acct, nil
}
