-- prosody for scripts/bench-peers.sh: loopback only, no s2s, its own folder
-- and ports; {{DIR}}, {{C2S}} and {{HTTP}} are filled in by the script. HTTP
-- (WebSocket and BOSH) is plain on loopback, as for Meerkat and ejabberd.
run_as_root = true
pidfile = "{{DIR}}/prosody.pid"
data_path = "{{DIR}}/data"
plugin_paths = {}
log = { { levels = { min = "warn" }, to = "file", filename = "{{DIR}}/prosody.log" } }
network_backend = "epoll"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { {{C2S}} }
c2s_direct_tls_ports = {}
http_ports = { {{HTTP}} }
http_interfaces = { "127.0.0.1" }
consider_websocket_secure = true
consider_bosh_secure = true
https_ports = {}
s2s_ports = {}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "register"; "bosh"; "websocket"; }
modules_disabled = { "s2s"; "admin_shell"; "offline"; "c2s_limits"; "limits"; "posix" }
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
allow_registration = true
min_seconds_between_registrations = 0
registration_throttle_max = 1000000
certificates = "{{DIR}}"
ssl = { certificate = "{{DIR}}/cert.pem"; key = "{{DIR}}/key.pem" }
VirtualHost "localhost"
	ssl = { certificate = "{{DIR}}/cert.pem"; key = "{{DIR}}/key.pem" }
Component "conference.localhost" "muc"
	restrict_room_creation = false
	max_history_messages = 0
