#!/usr/bin/env python3
"""A minimal BGP speaker that sends UPDATEs exactly as given, byte for byte.

For the RFC 7606 interop tests: the malformations a real daemon (exabgp included) refuses to
encode -- duplicate attributes, a missing mandatory attribute, a Total Path Attribute Length
that overruns the message. It connects to the peer, exchanges OPEN (IPv4 unicast, 4-octet AS)
and KEEPALIVE, answers with KEEPALIVEs, and then sends every UPDATE body (hex, one a line)
appended to the command file. It prints one line per event on stdout:
  ESTABLISHED | SENT <n> | RECV NOTIFICATION <code> <subcode> | RECV UPDATE <hex body> | CLOSED
"""
import argparse
import os
import select
import socket
import struct
import sys
import time


def message(mtype, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


def open_body(asn, hold, router_id):
    caps = b""
    caps += bytes([1, 4]) + struct.pack("!HBB", 1, 0, 1)  # multiprotocol IPv4 unicast
    caps += bytes([65, 4]) + struct.pack("!I", asn)  # 4-octet AS
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn <= 0xFFFF else 23456
    return (struct.pack("!BHH", 4, my_as, hold) + socket.inet_aton(router_id) +
            bytes([len(params)]) + params)


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--as", dest="asn", type=int, required=True)
    ap.add_argument("--hold", type=int, default=9)
    ap.add_argument("--commands", required=True)
    a = ap.parse_args()

    sock = None
    deadline = time.time() + 30
    while sock is None:
        try:
            sock = socket.create_connection((a.peer, 179), timeout=2, source_address=(a.local, 0))
        except OSError:
            if time.time() > deadline:
                say("CLOSED connect failed")
                return 1
            time.sleep(0.2)
    sock.setblocking(False)
    sock.sendall(message(1, open_body(a.asn, a.hold, a.local)))
    buf = b""
    established = False
    next_keepalive = 0.0
    sent = 0
    offset = 0
    while True:
        now = time.time()
        if established and now >= next_keepalive:
            sock.sendall(message(4, b""))
            next_keepalive = now + max(1, a.hold // 3)
        if established and os.path.exists(a.commands):
            with open(a.commands) as f:
                f.seek(offset)
                data = f.read()
            # Only whole lines: the writer may be mid-line.
            end = data.rfind("\n") + 1
            offset += end
            for line in data[:end].splitlines():
                if line.strip():
                    sock.sendall(message(2, bytes.fromhex(line.strip())))
                    sent += 1
                    say(f"SENT {sent}")
        r, _, _ = select.select([sock], [], [], 0.05)
        if not r:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            say("CLOSED")
            return 0
        buf += chunk
        while len(buf) >= 19:
            length, mtype = struct.unpack("!HB", buf[16:19])
            if len(buf) < length:
                break
            body, buf = buf[19:length], buf[length:]
            if mtype == 1:  # OPEN: confirm it
                sock.sendall(message(4, b""))
            elif mtype == 4 and not established:
                established = True
                say("ESTABLISHED")
            elif mtype == 3:
                say(f"RECV NOTIFICATION {body[0]} {body[1]}")
            elif mtype == 2:
                say(f"RECV UPDATE {body.hex()}")


if __name__ == "__main__":
    sys.exit(main())
