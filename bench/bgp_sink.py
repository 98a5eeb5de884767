#!/usr/bin/env python3
"""A BGP receiver that only drains: the sender's own cost of streaming a full table.

peer_to_kernel.sh's `sink` receiver. Listens on ADDR:179, answers the peer's OPEN (AS LOCAL_AS,
router id ADDR, IPv4 unicast, 4-octet AS), keeps the session up with KEEPALIVEs, and counts
the IPv4 NLRI bytes of every UPDATE without decoding a prefix. Exits when it has seen N /24s
(4 NLRI bytes each), printing `done <unix time of the session coming up> <unix time of the
last prefix>`. What it costs itself is a few CPU seconds' fraction: one Python loop per message,
not per prefix.

Usage: bgp_sink.py ADDR LOCAL_AS N TIMEOUT_S
"""
import socket
import struct
import sys
import time


def message(kind, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body


def open_message(local_as, router_id):
    caps = bytes([1, 4, 0, 1, 0, 1])  # multiprotocol IPv4 unicast
    caps += bytes([65, 4]) + struct.pack("!I", local_as)  # 4-octet AS
    params = bytes([2, len(caps)]) + caps
    as2 = local_as if local_as < 65536 else 23456
    return message(1, struct.pack("!BHH4sB", 4, as2, 90, socket.inet_aton(router_id),
                                  len(params)) + params)


def main():
    addr, local_as, n, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    want = 4 * n
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, 179))
    ls.listen(1)
    ls.settimeout(timeout)
    s, _ = ls.accept()
    s.settimeout(timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.sendall(open_message(local_as, addr) + message(4))
    up = None
    seen = 0
    last_keepalive = time.time()
    buf = bytearray()
    deadline = time.time() + timeout
    while seen < want:
        if time.time() > deadline:
            print("timeout %d" % (seen // 4))
            return 1
        chunk = s.recv(1 << 20)
        if not chunk:
            print("closed %d" % (seen // 4))
            return 1
        buf += chunk
        off = 0
        while len(buf) - off >= 19:
            length, kind = struct.unpack_from("!HB", buf, off + 16)
            if len(buf) - off < length:
                break
            if kind == 4 and up is None:  # the peer's KEEPALIVE confirming our OPEN
                up = time.time()
            elif kind == 2:
                wl = struct.unpack_from("!H", buf, off + 19)[0]
                al = struct.unpack_from("!H", buf, off + 21 + wl)[0]
                seen += length - 23 - wl - al
            elif kind == 3:
                print("notification %r" % bytes(buf[off:off + length]))
                return 1
            off += length
        del buf[:off]
        if time.time() - last_keepalive > 20:
            s.sendall(message(4))
            last_keepalive = time.time()
    print("done %.6f %.6f" % (up or 0.0, time.time()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
