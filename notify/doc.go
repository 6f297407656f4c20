// Package notify serves the Solid Notifications Protocol
// (solidproject.org/TR/notifications-protocol, v0.2) with the
// WebSocketChannel2023 and WebhookChannel2023 channel types, as the
// Community Solid Server 7.2 does where the spec leaves room:
//
//   - discovery: the storage description lists the subscription services
//     (ldp.Config.Subscriptions, from Services);
//   - subscription: a JSON-LD channel request POSTed to the service
//     (request.go) gives a channel whose receiveFrom is a ws(s) URL with
//     an unguessable token; channels live in kv.Channels and survive a
//     restart; DELETE of the channel unsubscribes (service.go);
//   - delivery: Service is an event.Consumer of the change-log feed that
//     sends Activity Streams notifications to the open sockets of each
//     topic, checking Read before every send (deliver.go, socket.go);
//   - the notification gateway Inrupt's notifications client discovers
//     (solid:notificationGateway), an adapter that subscribes through the
//     same service (gateway.go);
//   - features accept, endAt, rate, startAt, state for every channel type
//     with a channel request (features.go parses them, admit.go applies
//     them to each send);
//   - StreamingHTTPChannel2023: each resource links its stream
//     (ldp.Config.ResourceLinks from StreamLinks); a GET with Read on the
//     topic is a text/turtle stream of its notifications (stream.go).
//
// Webhooks (webhook*.go): a request to WebhookPath names sendTo, which
// must be one the SSRF-safe client the server passes in may contact
// (WebhookConfig.Permits; the client refuses internal addresses again at
// dial time). Webhook is a second consumer of the feed: it writes each
// notification into the channel's durable queue in kv.DeliveryQueue
// (webhook_queue.go) and returns, so no receiver holds back the feed; a
// fixed pool of senders (webhook_send.go) POSTs each queue in order
// (subscribers in turn, one delivery of a subscriber at a time), checks
// Read again before each send, retries failures with a doubling backoff
// and deletes a channel whose receiver has failed for DropAfter.
// Deliveries carry a DPoP-bound token signed with a key of the server's
// JWKS and a DPoP proof, as the reference server's (webhook_sign.go); the
// WebID they name (WebhookWebIDPath) states the issuer.
//
// Access is decided by the LDP handler (ldp.Handler.MayRead), never here.
package notify
