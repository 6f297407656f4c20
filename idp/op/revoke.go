package op

import (
	"errors"
	"net/http"

	"github.com/naamio/naamio/kv"
)

// serveRevoke is token revocation (RFC 7009). Refresh tokens are revoked
// with their whole grant. Access tokens are short-lived JWTs that the
// provider does not track; presenting one (or any unknown token) answers
// 200 as RFC 7009 §2.2 asks, and so does a token of another client, which
// is left alone.
func (p *Provider) serveRevoke(w http.ResponseWriter, r *http.Request) {
	form, err := postForm(w, r)
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := p.authenticateClient(ctx, r, form)
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		p.writeOAuthError(w, r, invalidRequest("token is required"))
		return
	}
	if len(tok) <= 512 {
		now := p.now()
		var revoked []issuedAccess
		err = p.kv.Update(ctx, func(tx kv.Txn) error {
			revoked = nil
			var rec refreshRecord
			if err := getJSON(tx, kvRefresh+hashed(tok), &rec); err != nil {
				if errors.Is(err, kv.ErrNotFound) {
					return nil
				}
				return err
			}
			if rec.ClientID != c.ID {
				return nil
			}
			var err error
			revoked, err = revokeGrantTx(tx, rec.Grant, p.refreshTTL, now)
			return err
		})
		if err != nil {
			p.writeOAuthError(w, r, serverError(err))
			return
		}
		p.revoked.add(revoked, now)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
