// Package test holds Meerkat's end-to-end tests: they build the real
// binary, start it on loopback ports with a throwaway data folder, and drive
// it with clients nobody here wrote (python3-slixmpp today; @xmpp/client and
// headless Chromium come with the web transports). A missing client fails
// the run when CI=true and skips it otherwise.
package test
