// Package account is the account system of Naamio's identity provider:
// accounts (email, Argon2id password hash, admin flag, pods and WebIDs),
// registration modes and invite codes, password login with rate limiting,
// browser sessions and their CSRF tokens, password reset, client
// credentials for the client_credentials grant, and remembered consent.
// It has no HTTP handlers; the pages and the account API call it.
//
// Everything is stored in one kv.KV (key layout in keys.go). The login
// rate limiter is the exception: it lives in memory (bounded, see
// ratelimit.go), so it starts empty after a restart and is not shared
// between processes.
//
// Secrets (passwords, session and reset tokens, invite codes, client
// secrets) are stored only hashed and never appear in errors.
package account
