// Package notify serves the Solid Notifications Protocol
// (solidproject.org/TR/notifications-protocol, v0.2) with the
// WebSocketChannel2023 channel type, as the Community Solid Server 7.2
// does where the spec leaves room:
//
//   - discovery: the storage description lists the subscription service
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
// Access is decided by the LDP handler (ldp.Handler.MayRead), never here.
package notify
