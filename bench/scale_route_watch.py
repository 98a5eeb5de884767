#!/usr/bin/env python3
"""Follows the kernel routes of many network namespaces at once, for bench/scale_mesh.sh.

    scale_route_watch.py WANT TIMEOUT_S OUT NS...

One rtnetlink socket per namespace (created inside it with setns, so it stays bound to it),
subscribed to IPv4 route notifications, after one dump each. A namespace is complete when its
main table holds WANT unicast routes of protocol 12 (podnetd's "bird"; the local block is a
blackhole and does not count). Why events and not `ip route` polling: polling 200 namespaces on a
loaded 2-core machine takes seconds a round and the measured time would be the sampling lag; an
idle socket costs nothing. Writes "NS UNIX_TIME" lines to OUT as namespaces complete, prints
"done UNIX_TIME" when all are (exit 0) or "timeout COMPLETE/TOTAL" (exit 1). A namespace that
drops below WANT again counts as incomplete until it is back.
"""
import ctypes
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
RTMGRP_IPV4_ROUTE = 0x40
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTA_DST, RTA_TABLE = 1, 15
RT_TABLE_MAIN, RTN_UNICAST, PROTO = 254, 1, 12

libc = ctypes.CDLL(None, use_errno=True)


def open_in(ns):
    """A route-notification socket created inside namespace `ns`."""
    with open(f"/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((0, RTMGRP_IPV4_ROUTE))
    return s


def dump_request(s):
    rtmsg = struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
    hdr = struct.pack("=IHHII", 16 + len(rtmsg), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    s.send(hdr + rtmsg)


def routes(buf):
    """(add?, key) for each of our routes in a netlink buffer; None for NLMSG_DONE."""
    off = 0
    while off + 16 <= len(buf):
        length, typ = struct.unpack_from("=IH", buf, off)
        if length < 16:
            break
        if typ in (NLMSG_DONE, NLMSG_ERROR):
            yield None
        elif typ in (RTM_NEWROUTE, RTM_DELROUTE):
            fam, dlen, _, _, table, proto, _, rtype, _ = struct.unpack_from("=BBBBBBBBI", buf, off + 16)
            dst, a = b"", off + 28
            while a + 4 <= off + length:
                alen, atype = struct.unpack_from("=HH", buf, a)
                if alen < 4:
                    break
                if atype == RTA_DST:
                    dst = buf[a + 4 : a + alen]
                elif atype == RTA_TABLE:
                    table = struct.unpack_from("=I", buf, a + 4)[0]
                a += (alen + 3) & ~3
            if fam == socket.AF_INET and table == RT_TABLE_MAIN and proto == PROTO and rtype == RTN_UNICAST:
                yield typ == RTM_NEWROUTE, (dst, dlen)
        off += (length + 3) & ~3


def main():
    want, timeout, out_path, names = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4:]
    home = open("/proc/self/ns/net")
    socks = {}
    for ns in names:
        s = open_in(ns)
        socks[s.fileno()] = (ns, s)
    libc.setns(home.fileno(), CLONE_NEWNET)
    have = {ns: set() for ns in names}
    done = {}
    out = open(out_path, "w")

    def apply(ns, buf):
        for r in routes(buf):
            if r is None:
                continue
            add, key = r
            (have[ns].add if add else have[ns].discard)(key)
        if len(have[ns]) >= want and ns not in done:
            done[ns] = time.time()
            out.write(f"{ns} {done[ns]:.3f}\n")
            out.flush()
        elif len(have[ns]) < want and ns in done:
            del done[ns]

    for _, s in socks.values():
        dump_request(s)
    deadline = time.monotonic() + timeout
    poller = select.poll()
    for fd in socks:
        poller.register(fd, select.POLLIN)
    while len(done) < len(names) and time.monotonic() < deadline:
        for fd, _ in poller.poll(1000):
            ns, s = socks[fd]
            try:
                buf = s.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except OSError:  # ENOBUFS: notifications lost, the dump is the truth again
                have[ns].clear()
                dump_request(s)
                continue
            apply(ns, buf)
    if len(done) == len(names):
        print(f"done {max(done.values()):.3f}")
        return 0
    print(f"timeout {len(done)}/{len(names)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
