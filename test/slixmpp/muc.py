"""Interop check: python3-slixmpp's XEP-0045 plugin against Meerkat's MUC.

The first user creates a room (status 201), makes it an instant room by
submitting an empty configuration form, reads the form back and talks; the
second user joins asking for two stanzas of history, gets exactly the last
two messages with their delay stamps and the subject, and both exchange
groupchat messages.

Usage: muc.py HOST PORT PASSWORD USER1 USER2 ROOM
Exit status 0 and the line "OK" on success; anything else is a failure.
"""
import asyncio
import logging
import ssl
import sys

import slixmpp

TIMEOUT = 20


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password, sasl_mech="SCRAM-SHA-256")
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0203")
        self.ready = asyncio.get_event_loop().create_future()
        self.groupchat = asyncio.Queue()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("groupchat_message", self.on_groupchat)

    async def on_start(self, _):
        self.send_presence()
        if not self.ready.done():
            self.ready.set_result(True)

    def on_groupchat(self, msg):
        if msg["body"] and msg.get_plugin("delay", check=True) is None:
            self.groupchat.put_nowait(msg)


async def expect_body(peer, sender, body):
    while True:
        m = await asyncio.wait_for(peer.groupchat.get(), TIMEOUT)
        if m["body"] == body:
            if m["from"] != sender:
                raise RuntimeError(f"{body!r} came from {m['from']}, want {sender}")
            return


async def main(host, port, password, u1, u2, room):
    a = Peer(u1, password)
    b = Peer(u2, password)
    for p in (a, b):
        p.connect((host, port), use_ssl=False, force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.ready, b.ready), TIMEOUT)
    muc_a, muc_b = a.plugin["xep_0045"], b.plugin["xep_0045"]

    pres, subject, _, history = await muc_a.join_muc_wait(room, "Romeo", maxstanzas=0, timeout=TIMEOUT)
    codes = pres["muc"]["status_codes"]
    if 201 not in codes or 110 not in codes:
        raise RuntimeError(f"creation presence codes {codes}")
    if pres["muc"]["affiliation"] != "owner" or pres["muc"]["role"] != "moderator":
        raise RuntimeError(f"creator is {pres['muc']['affiliation']}/{pres['muc']['role']}")
    await muc_a.set_room_config(room, a.plugin["xep_0004"].make_form(ftype="submit"), timeout=TIMEOUT)
    form = await muc_a.get_room_config(room, timeout=TIMEOUT)
    names = [f if isinstance(f, str) else f["var"] for f in form["fields"]]
    if "muc#roomconfig_roomname" not in names:
        raise RuntimeError(f"config form lacks the room name: {names}")
    muc_a.set_subject(room, "Verona")

    for body in ("one", "two", "three"):
        a.send_message(mto=room, mbody=body, mtype="groupchat")
        await expect_body(a, f"{room}/Romeo", body)

    pres, subject, occupants, history = await muc_b.join_muc_wait(room, "Juliet", maxstanzas=2, timeout=TIMEOUT)
    if 110 not in pres["muc"]["status_codes"] or pres["muc"]["role"] != "participant":
        raise RuntimeError(f"join presence {pres}")
    bodies = [m["body"] for m in history]
    if bodies != ["two", "three"]:
        raise RuntimeError(f"history {bodies}, want ['two', 'three']")
    if subject["subject"] != "Verona":
        raise RuntimeError(f"subject {subject['subject']!r}")
    if "Romeo" not in [o["from"].resource for o in occupants]:
        raise RuntimeError(f"occupants {[str(o['from']) for o in occupants]}")

    b.send_message(mto=room, mbody="wherefore art thou", mtype="groupchat")
    await expect_body(a, f"{room}/Juliet", "wherefore art thou")
    await expect_body(b, f"{room}/Juliet", "wherefore art thou")
    a.send_message(mto=room, mbody="here", mtype="groupchat")
    await expect_body(b, f"{room}/Romeo", "here")
    if set(muc_a.get_roster(room)) != {"Romeo", "Juliet"}:
        raise RuntimeError(f"room roster {muc_a.get_roster(room)}")

    for p in (a, b):
        p.disconnect()
    print("OK")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    host, port, password, u1, u2, room = sys.argv[1:7]
    asyncio.run(main(host, int(port), password, u1, u2, room))
