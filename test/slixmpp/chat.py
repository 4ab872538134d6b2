"""Interop check: two slixmpp clients log in to Meerkat over STARTTLS with
SCRAM-SHA-256 and exchange a message each way.

Usage: chat.py HOST PORT PASSWORD USER1 USER2
Exit status 0 and the line "OK" on success; anything else is a failure.
"""
import asyncio
import logging
import ssl
import sys

import slixmpp

TIMEOUT = 20


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, mech):
        super().__init__(jid, password, sasl_mech=mech)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.ready = asyncio.get_event_loop().create_future()
        self.inbox = asyncio.Queue()
        self.mech_used = None
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", self.on_failed)
        self.add_event_handler("auth_success", self.on_auth)

    async def on_start(self, _):
        self.send_presence()
        if not self.ready.done():
            self.ready.set_result(True)

    def on_auth(self, _):
        self.mech_used = self["feature_mechanisms"].mech.name if self["feature_mechanisms"].mech else None

    def on_failed(self, _):
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"{self.boundjid.bare}: authentication failed"))

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal"):
            self.inbox.put_nowait(msg)


async def main(host, port, password, u1, u2):
    a = Peer(u1, password, "SCRAM-SHA-256")
    b = Peer(u2, password, "SCRAM-SHA-256")
    for p in (a, b):
        p.connect((host, port), use_ssl=False, force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.ready, b.ready), TIMEOUT)
    for p in (a, b):
        if p.mech_used != "SCRAM-SHA-256":
            raise RuntimeError(f"{p.boundjid}: used {p.mech_used}, want SCRAM-SHA-256")
    a.send_message(mto=b.boundjid.full, mbody="hello from slixmpp a", mtype="chat")
    m = await asyncio.wait_for(b.inbox.get(), TIMEOUT)
    if m["body"] != "hello from slixmpp a" or m["from"] != a.boundjid.full:
        raise RuntimeError(f"b got {m}")
    b.send_message(mto=a.boundjid.bare, mbody="hello back", mtype="chat")
    m = await asyncio.wait_for(a.inbox.get(), TIMEOUT)
    if m["body"] != "hello back" or m["from"] != b.boundjid.full:
        raise RuntimeError(f"a got {m}")
    for p in (a, b):
        p.disconnect()
    print("OK")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    host, port, password, u1, u2 = sys.argv[1:6]
    asyncio.run(main(host, int(port), password, u1, u2))
