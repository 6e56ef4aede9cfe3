// Package messenger speaks Facebook Messenger for NextFlow: the Send API
// client (Client.Send) with its error classes, the messaging-window rule
// that decides a send's messaging_type (Window), and the parser of the
// "page" webhook envelope (ParseWebhook). It has no state beyond an HTTP
// client and knows nothing of the store; the engine's messenger.send side
// effect and the inbound webhook job build on it.
//
// The wire contract is Meta's Graph API as described in the shared
// channel reference: POST {base}/{version}/{PAGE_ID}/messages with the
// page token as the access_token query parameter, errors in the Graph
// envelope branched on by code and subcode, never by HTTP status alone.
package messenger
