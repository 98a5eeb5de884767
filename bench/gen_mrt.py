#!/usr/bin/env python3
"""Write an MRT TABLE_DUMP_V2 file of N IPv4 /24s for `gobgp mrt inject global`.

Why a file: adding 1M routes to gobgpd one CLI call at a time takes hours; `mrt inject` streams
them over its API. gobgp 3.10's inject drops what is still buffered when it exits, so the file
ends with PAD repeats of a sentinel prefix (192.0.2.0/24): whatever is lost is a sentinel.

Usage: gen_mrt.py N FILE [PEER_AS] [NEXT_HOP] [PAD]
Prefixes: N consecutive /24s from 20.0.0.0/24 (N <= 4M).
"""
import socket
import struct
import sys


def main():
    n = int(sys.argv[1])
    path = sys.argv[2]
    peer_as = int(sys.argv[3]) if len(sys.argv) > 3 else 65001
    next_hop = sys.argv[4] if len(sys.argv) > 4 else "10.0.0.2"
    pad = int(sys.argv[5]) if len(sys.argv) > 5 else 5000
    nh = socket.inet_aton(next_hop)
    ts = 1700000000

    def record(subtype, body):
        return struct.pack("!IHHI", ts, 13, subtype, len(body)) + body

    # PEER_INDEX_TABLE: one IPv4 peer with a 4-octet AS.
    view = b""
    peers = struct.pack("!B4s4sI", 0x02, nh, nh, peer_as)
    pit = nh + struct.pack("!H", len(view)) + view + struct.pack("!H", 1) + peers
    # Path attributes: ORIGIN IGP, AS_PATH [peer_as] (4-octet in TABLE_DUMP_V2), NEXT_HOP.
    attrs = (struct.pack("!BBBB", 0x40, 1, 1, 0)
             + struct.pack("!BBBBBI", 0x40, 2, 6, 2, 1, peer_as)
             + struct.pack("!BBB4s", 0x40, 3, 4, nh))
    entry_tail = struct.pack("!HIH", 0, ts, len(attrs)) + attrs
    entry_tail = struct.pack("!H", 1) + entry_tail  # entry count 1
    base = struct.unpack("!I", socket.inet_aton("20.0.0.0"))[0]
    sentinel = socket.inet_aton("192.0.2.0")[:3]
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(record(1, pit))
        out = []
        for i in range(n):
            a = base + (i << 8)
            body = struct.pack("!IB3s", i, 24, struct.pack("!I", a)[:3]) + entry_tail
            out.append(record(2, body))
            if len(out) >= 65536:
                f.write(b"".join(out))
                out.clear()
        for j in range(pad):
            body = struct.pack("!IB3s", n + j, 24, sentinel) + entry_tail
            out.append(record(2, body))
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
