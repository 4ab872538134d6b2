-- A prosody configuration for mob's tests (test/mob_test.go): loopback
-- only, no server-to-server, no admin socket, its own folder and ports.
-- The test fills in the {{...}} placeholders; run it in the foreground
-- (prosody -F --config FILE).

run_as_root = true -- the tests may run as root (CI); prosody stays in the foreground
pidfile = "{{DIR}}/prosody.pid"
data_path = "{{DIR}}/data"
plugin_paths = {}
log = { { levels = { min = "warn" }, to = "file", filename = "{{DIR}}/prosody.log" } }

interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { {{C2S}} }
c2s_direct_tls_ports = { {{C2S_TLS}} }
http_ports = { {{HTTP}} }
http_interfaces = { "127.0.0.1" }
https_ports = {}
s2s_ports = {}

modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping"; "register"; "websocket"; "bosh";
}
modules_disabled = { "s2s"; "admin_shell"; "offline"; "c2s_limits"; "limits" }

authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_registration = true
min_seconds_between_registrations = 0
registration_throttle_max = 100000
consider_websocket_secure = true
consider_bosh_secure = true
cross_domain_websocket = true

certificates = "{{DIR}}"
ssl = { certificate = "{{DIR}}/cert.pem"; key = "{{DIR}}/key.pem" }

VirtualHost "localhost"
	ssl = { certificate = "{{DIR}}/cert.pem"; key = "{{DIR}}/key.pem" }

Component "conference.localhost" "muc"
	restrict_room_creation = false
	max_history_messages = 0
