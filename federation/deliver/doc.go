// Package deliver sends ActivityPub activities to remote inboxes: a
// durable queue in kv.DeliveryQueue and a bounded pool of senders.
//
// Enqueue takes one activity (its JSON), the sender (the actor whose key
// signs it), the recipients' inbox URLs (shared inboxes where the peers
// have one) and an optional idempotency key (Post). It drops duplicate
// inboxes, so that each gets the activity once, and writes the activity
// and its targets in one KV transaction before it returns: a post that
// Enqueue accepted survives a crash before any delivery, and an Enqueue
// offered again with the same key (a change-log consumer after a crash)
// queues nothing. Enqueue refuses more than Config.MaxRecipients inboxes
// (ErrTooManyRecipients, SECURITY row 42 of issue 14) and an activity
// larger than Config.MaxBody (ErrTooLarge) before anything is written.
//
// Run delivers with Config.Workers goroutines. Deliveries are queued per
// host (the inbox URL's host and port): at most Config.PerHost requests
// are in flight to one host, hosts take turns, and a host whose delivery
// failed with a retryable error (a network error or timeout, 408, 429 or
// 5xx) is left alone for a backoff that starts at MinBackoff and doubles
// up to MaxBackoff (longer when the peer's Retry-After asks, up to
// MaxBackoff); so a dead or slow peer holds at most PerHost senders for
// at most Timeout, and the other peers' deliveries go on. A failing host
// is then tried one delivery at a time, and the failing hosts together
// hold at most half of the senders, so many dead peers at once (common
// among an old account's followers) leave the rest to the live ones. A 2xx answer
// completes a delivery; any other status (4xx except 408 and 429, 3xx:
// redirects are not followed) is a permanent failure: the delivery is
// dropped and logged. A retried delivery goes to the back of its host's
// queue, so one that a peer keeps failing does not hold the others up; a
// delivery still failing GiveUpAfter (2 days) after it was queued is
// dropped and logged. Every request goes through internal/safehttp
// (https only, except the loopback addresses the operator allowed with
// --allow-fetch-addr), as a POST of Content-Type application/activity+json
// signed by the sender's Signer.
//
// Delivery is at least once: what is queued at shutdown or a crash (also
// a request in flight) is sent after the next start by the Deliverer that
// New makes on the same store.
//
// Keys in kv.DeliveryQueue (the webhook queue of notify uses wq/ and wf/):
//
//	aa/<id>            an activity still to deliver: its sender and when
//	                   it was queued (a line of JSON), then its body as
//	                   given; deleted with its last delivery
//	at/<id>            the activity's targets (JSON list of inbox URLs),
//	                   written with aa/<id> by Enqueue and deleted once
//	                   they are all in aq/ (a start after a crash between
//	                   the two finishes the job, writing the same keys)
//	ak/<sha256 of key> the id of the activity Enqueued with Post.Key
//	                   (expires after KeyTTL, 7 days)
//	aq/<host>\x00<seq> one pending delivery (JSON: activity id, inbox,
//	                   attempts); seq is 16 hex digits, so a host's queue
//	                   lists oldest first; a retried delivery gets a new seq
//	af/<host>          when the host began to fail (JSON time), kept until
//	                   a delivery to it succeeds
//
// <id> is 16 hex digits: the seq of the activity, whose n targets have the
// seqs id+1 … id+n.
package deliver
