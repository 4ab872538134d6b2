"""Interop check of RFC 6121 and the core modules with slixmpp: roster add,
subscription request and approval, presence seen on both sides, a message
kept offline and delivered with a delay stamp at the next login, and a vCard
set by one user and fetched by the other.

Usage: im.py HOST PORT PASSWORD USER1 USER2
Prints "OK" and exits 0 on success.
"""
import asyncio
import logging
import ssl
import sys

import slixmpp

TIMEOUT = 20


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, addr):
        super().__init__(jid, password, sasl_mech="SCRAM-SHA-256")
        self.addr = addr
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # Answer subscription requests by hand, to test the real flow.
        self.auto_authorize = None
        self.auto_subscribe = False
        self.register_plugin("xep_0054")
        self.register_plugin("xep_0203")
        loop = asyncio.get_event_loop()
        self.started = loop.create_future()
        self.inbox = asyncio.Queue()
        self.requests = asyncio.Queue()
        self.seen = asyncio.Queue()
        self.gone = asyncio.Queue()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", lambda m: self.inbox.put_nowait(m))
        self.add_event_handler("presence_subscribe", lambda p: self.requests.put_nowait(p))
        self.add_event_handler("presence_available", lambda p: self.seen.put_nowait(p))
        self.add_event_handler("presence_unavailable", lambda p: self.gone.put_nowait(p))
        self.add_event_handler("failed_auth", self.on_failed)

    async def on_start(self, _):
        await self.get_roster()
        self.send_presence()
        if not self.started.done():
            self.started.set_result(True)

    def on_failed(self, _):
        if not self.started.done():
            self.started.set_exception(RuntimeError("authentication failed"))

    async def go(self):
        self.connect(self.addr, use_ssl=False, force_starttls=True)
        await asyncio.wait_for(self.started, TIMEOUT)


async def seen_from(peer, bare):
    while True:
        p = await asyncio.wait_for(peer.seen.get(), TIMEOUT)
        if p["from"].bare == bare:
            return p


async def main(host, port, password, u1, u2):
    addr = (host, port)
    a, b = Peer(u1, password, addr), Peer(u2, password, addr)
    await asyncio.gather(a.go(), b.go())

    # Roster add with a name and a group, then a subscription request.
    await a.update_roster(u2, name="Juliet", groups=["Friends"])
    a.send_presence_subscription(pto=u2)
    req = await asyncio.wait_for(b.requests.get(), TIMEOUT)
    if req["from"].bare != u1:
        raise RuntimeError(f"request from {req['from']}")
    # b approves and asks back; a approves.
    b.send_presence(pto=u1, ptype="subscribed")
    b.send_presence_subscription(pto=u1)
    req = await asyncio.wait_for(a.requests.get(), TIMEOUT)
    a.send_presence(pto=u2, ptype="subscribed")

    # Presence is seen on both sides.
    await asyncio.gather(seen_from(a, u2), seen_from(b, u1))
    for peer, other in ((a, u2), (b, u1)):
        for _ in range(100):
            if peer.client_roster[other]["subscription"] == "both":
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"{peer.boundjid.bare}: subscription to {other} is "
                               f"{peer.client_roster[other]['subscription']}, want both")
    if a.client_roster[u2]["name"] != "Juliet" or "Friends" not in a.client_roster[u2]["groups"]:
        raise RuntimeError(f"roster item {a.client_roster[u2]}")

    # vCard: a publishes, b fetches.
    vcard = a["xep_0054"].make_vcard()
    vcard["FN"] = "Romeo Montague"
    vcard["NICKNAME"] = "romeo"
    await a["xep_0054"].publish_vcard(vcard)
    got = await b["xep_0054"].get_vcard(u1, cached=False, timeout=TIMEOUT)
    if got["vcard_temp"]["FN"] != "Romeo Montague":
        raise RuntimeError(f"vcard {got}")

    # Offline message: b leaves, a writes, b comes back and gets it with a delay stamp.
    await asyncio.wait_for(b.disconnect(), TIMEOUT)
    while True:  # the server has ended b's session once a hears it is gone
        p = await asyncio.wait_for(a.gone.get(), TIMEOUT)
        if p["from"].bare == u2:
            break
    a.send_message(mto=u2, mbody="while you were away", mtype="chat")
    # The server handles a's stanzas in order: once this roster answer
    # arrives, the message before it has been stored.
    await a.get_roster()
    b2 = Peer(u2, password, addr)
    await b2.go()
    m = await asyncio.wait_for(b2.inbox.get(), TIMEOUT)
    if m["body"] != "while you were away" or not m["delay"]["stamp"]:
        raise RuntimeError(f"offline message {m}")
    for p in (a, b2):
        p.disconnect()
    print("OK")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    host, port, password, u1, u2 = sys.argv[1:6]
    asyncio.run(main(host, int(port), password, u1, u2))
