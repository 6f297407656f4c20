//go:build !linux

package server

import "net"

// sameUserOnly relies on the socket file's mode (0600) where the peer's
// user cannot be asked.
type sameUserOnly struct{ *net.UnixListener }
