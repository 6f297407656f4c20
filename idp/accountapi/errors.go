package accountapi

import (
	"errors"
	"net/http"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
)

// apiError is an answer with a status and a message safe to show the
// client: it never holds a password, token or secret.
type apiError struct {
	status  int
	message string
	allow   string // the Allow header of a 405
}

func (e *apiError) Error() string { return e.message }

func fail(status int, message string) error { return &apiError{status: status, message: message} }

// notAllowed is a 405 for a resource that allows the methods in allow.
func notAllowed(allow string) error {
	return &apiError{status: 405, message: "Method not allowed.", allow: allow}
}

// Messages for the answers scripts written for the Community Solid
// Server look for.
const (
	msgEmailTaken = "There already is a login for this e-mail address."
	msgBadLogin   = "Invalid email/password combination."
)

// errorFor maps an error to the answer: the package's own apiErrors as
// they are, the account and pod sentinels to their statuses, anything
// else to 500 (logged by the caller, not shown).
func errorFor(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, account.ErrRegistrationClosed):
		return &apiError{status: http.StatusForbidden, message: "Registration is closed on this server."}
	case errors.Is(err, account.ErrInviteRequired):
		return &apiError{status: http.StatusForbidden, message: "Registration needs an invite code: send it as \"invite\"."}
	case errors.Is(err, account.ErrBadInvite):
		return &apiError{status: http.StatusForbidden, message: "The invite code is not valid."}
	case errors.Is(err, account.ErrEmailTaken):
		return &apiError{status: http.StatusConflict, message: msgEmailTaken}
	case errors.Is(err, account.ErrInvalidEmail):
		return &apiError{status: http.StatusBadRequest, message: "email must be a valid e-mail address."}
	case errors.Is(err, account.ErrPasswordTooShort):
		return &apiError{status: http.StatusBadRequest, message: "password is too short."}
	case errors.Is(err, account.ErrPasswordTooLong):
		return &apiError{status: http.StatusBadRequest, message: "password is too long."}
	case errors.Is(err, account.ErrInvalidName):
		return &apiError{status: http.StatusBadRequest, message: "name is empty or too long."}
	case errors.Is(err, account.ErrWebIDNotOwned):
		return &apiError{status: http.StatusBadRequest, message: "WebID does not belong to this account."}
	case errors.Is(err, account.ErrBadLogin):
		return &apiError{status: http.StatusForbidden, message: msgBadLogin}
	case errors.Is(err, account.ErrRateLimited):
		return &apiError{status: http.StatusTooManyRequests, message: "Too many failed attempts: try again later."}
	case errors.Is(err, account.ErrNoSession):
		return &apiError{status: http.StatusUnauthorized, message: "Not logged in, or the account token has expired."}
	case errors.Is(err, account.ErrNotFound):
		return &apiError{status: http.StatusNotFound, message: "Not found."}
	case errors.Is(err, pod.ErrInvalidName):
		return &apiError{status: http.StatusBadRequest, message: "name is not a valid pod name: 1 to 63 lowercase letters, digits and '-', not reserved."}
	case errors.Is(err, pod.ErrExists):
		return &apiError{status: http.StatusConflict, message: "There already is a pod with this name."}
	case errors.Is(err, idp.ErrNameRetired):
		// SECURITY.md row 57: a deleted account's WebID never changes hands.
		return &apiError{status: http.StatusConflict, message: "This pod name belonged to a deleted account and stays reserved: choose another."}
	}
	return &apiError{status: http.StatusInternalServerError, message: http.StatusText(http.StatusInternalServerError)}
}

// errorName is the error class name the Community Solid Server puts in
// the "name" field of its JSON errors, by status.
func errorName(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequestHttpError"
	case http.StatusUnauthorized:
		return "UnauthorizedHttpError"
	case http.StatusForbidden:
		return "ForbiddenHttpError"
	case http.StatusNotFound:
		return "NotFoundHttpError"
	case http.StatusMethodNotAllowed:
		return "MethodNotAllowedHttpError"
	case http.StatusConflict:
		return "ConflictHttpError"
	case http.StatusRequestEntityTooLarge:
		return "PayloadHttpError"
	case http.StatusUnsupportedMediaType:
		return "UnsupportedMediaTypeHttpError"
	case http.StatusTooManyRequests:
		return "TooManyRequestsHttpError"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailableHttpError"
	default:
		return "InternalServerError"
	}
}
