package api

import (
	"encoding/json"
	"net/http"
)

// Code is the stable, machine-readable name of an API error. Clients
// branch on it; the message next to it is for people and may change.
// docs/api.md and docs/api.yaml list every code.
type Code string

// The error codes of the API, with the HTTP status each one goes with.
const (
	// CodeMissingCredentials (401): no Authorization bearer token and no
	// X-Meerkat-Signature header.
	CodeMissingCredentials Code = "missing_credentials"
	// CodeInvalidToken (401): the bearer token is not one of the configured ones.
	CodeInvalidToken Code = "invalid_token"
	// CodeInvalidSignature (401): the signature header is malformed or the
	// HMAC does not match, or signatures are not configured.
	CodeInvalidSignature Code = "invalid_signature"
	// CodeInvalidTimestamp (401): X-Meerkat-Timestamp is missing or not a
	// number of seconds.
	CodeInvalidTimestamp Code = "invalid_timestamp"
	// CodeExpiredTimestamp (401): the signed timestamp is outside the
	// configured window around the server's clock.
	CodeExpiredTimestamp Code = "expired_timestamp"
	// CodeReplayedSignature (401): the same signature was already used
	// within the window.
	CodeReplayedSignature Code = "replayed_signature"
	// CodeInvalidJSON (400): the body is not one JSON object of the
	// expected shape (unknown fields are refused too).
	CodeInvalidJSON Code = "invalid_json"
	// CodeInvalidRequest (400): a required field is missing or a value is
	// out of range.
	CodeInvalidRequest Code = "invalid_request"
	// CodeInvalidJID (400): a JID in the body or path does not parse
	// (RFC 7622), or has the wrong form (a resource where a bare JID is needed).
	CodeInvalidJID Code = "invalid_jid"
	// CodeUnknownHost (400): the JID's domain is not one this server hosts.
	CodeUnknownHost Code = "unknown_host"
	// CodeBodyTooLarge (413): the body exceeds api.max_body_bytes.
	CodeBodyTooLarge Code = "body_too_large"
	// CodeNotFound (404): no such endpoint.
	CodeNotFound Code = "not_found"
	// CodeMethodNotAllowed (405): the endpoint exists, not with this method.
	CodeMethodNotAllowed Code = "method_not_allowed"
	// CodeUserNotFound (404): the account does not exist.
	CodeUserNotFound Code = "user_not_found"
	// CodeUserExists (409): the account to create already exists.
	CodeUserExists Code = "user_exists"
	// CodeRoomNotFound (404): the MUC room does not exist.
	CodeRoomNotFound Code = "room_not_found"
	// CodeNotImplemented (501): the endpoint needs a module this server
	// does not run (room messages need MUC).
	CodeNotImplemented Code = "not_implemented"
	// CodeBusy (503): the replay cache is full of live signatures; retry later.
	CodeBusy Code = "busy"
	// CodeInternal (500): a server fault (storage down, say); it is logged.
	CodeInternal Code = "internal_error"
)

// codeStatus maps every error code to its HTTP status.
var codeStatus = map[Code]int{
	CodeMissingCredentials: http.StatusUnauthorized,
	CodeInvalidToken:       http.StatusUnauthorized,
	CodeInvalidSignature:   http.StatusUnauthorized,
	CodeInvalidTimestamp:   http.StatusUnauthorized,
	CodeExpiredTimestamp:   http.StatusUnauthorized,
	CodeReplayedSignature:  http.StatusUnauthorized,
	CodeInvalidJSON:        http.StatusBadRequest,
	CodeInvalidRequest:     http.StatusBadRequest,
	CodeInvalidJID:         http.StatusBadRequest,
	CodeUnknownHost:        http.StatusBadRequest,
	CodeBodyTooLarge:       http.StatusRequestEntityTooLarge,
	CodeNotFound:           http.StatusNotFound,
	CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	CodeUserNotFound:       http.StatusNotFound,
	CodeUserExists:         http.StatusConflict,
	CodeRoomNotFound:       http.StatusNotFound,
	CodeNotImplemented:     http.StatusNotImplemented,
	CodeBusy:               http.StatusServiceUnavailable,
	CodeInternal:           http.StatusInternalServerError,
}

// Status returns the HTTP status that goes with c (500 for an unknown code).
func (c Code) Status() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is the JSON body of every error response:
// {"error": {"code": "...", "message": "..."}}.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Error implements error, so the client returns it as is.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// errorBody is the envelope around Error on the wire.
type errorBody struct {
	Error *Error `json:"error"`
}

// writeError answers with code's status and the JSON error body.
func writeError(w http.ResponseWriter, code Code, msg string) {
	writeJSON(w, code.Status(), errorBody{&Error{Code: code, Message: msg}})
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Codes returns every error code, for documentation checks.
func Codes() []Code {
	out := make([]Code, 0, len(codeStatus))
	for c := range codeStatus {
		out = append(out, c)
	}
	return out
}
