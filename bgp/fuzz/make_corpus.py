#!/usr/bin/env python3
"""Writes the hand-made seed corpus for fuzz_codec: valid and malformed BGP messages.

Each file is one fuzz input: a context byte (see context_from() in fuzz_codec.cpp: bit0 2-octet
AS session, bit1 eBGP, bit2/3 ADD-PATH v4/v6, bit4 extended next hop, bit5 extended message)
followed by one message. Re-run after changing it: python3 bgp/fuzz/make_corpus.py

corpus/found/ holds inputs the fuzzer discovered, minimised with -merge=1 (a few hundred small
files); libFuzzer reads corpus directories recursively.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def msg(t, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body


def attr(flags, t, value):
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, t, len(value)) + value
    return struct.pack("!BBB", flags, t, len(value)) + value


def nlri(prefix, plen, path_id=None):
    b = bytes(prefix)[: (plen + 7) // 8]
    return (struct.pack("!I", path_id) if path_id is not None else b"") + bytes([plen]) + b


def update(withdrawn=b"", attrs=b"", nl=b""):
    return msg(2, struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs)) + attrs + nl)


def as_path(segs, size=4):
    out = b""
    for t, asns in segs:
        out += bytes([t, len(asns)]) + b"".join(struct.pack("!I" if size == 4 else "!H", a) for a in asns)
    return out


def cap(code, value=b""):
    return bytes([code, len(value)]) + value


def open_msg(my_as=65001, hold=90, ident=0x0A000001, caps=b"", version=4):
    params = b""
    if caps:
        params = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack("!BHHIB", version, my_as, hold, ident, len(params)) + params)


V6 = bytes.fromhex("20010db8000000000000000000000000")
LL = bytes.fromhex("fe800000000000000000000000000001")
base4 = attr(0x40, 1, b"\x00") + attr(0x40, 2, as_path([(2, [65001, 4200000000])])) + attr(0x40, 3, bytes([10, 0, 0, 1]))
base2 = attr(0x40, 1, b"\x00") + attr(0x40, 2, as_path([(2, [65001, 23456])], 2)) + attr(0x40, 3, bytes([10, 0, 0, 1]))
many26 = b"".join(nlri([10, i // 4, (i % 4) * 64, 0], 26) for i in range(200))
mp6 = attr(0x80, 14, struct.pack("!HBB", 2, 1, 32) + V6 + LL + b"\x00" + nlri(V6, 122) + nlri(V6, 128))

seeds = {
    # ---- valid ----
    "open_full": (0, open_msg(my_as=23456, caps=cap(1, b"\x00\x01\x00\x01") + cap(1, b"\x00\x02\x00\x01") + cap(2) + cap(70)
                  + cap(65, struct.pack("!I", 4200000001)) + cap(64, b"\x80\x78\x00\x01\x01\x80")
                  + cap(69, b"\x00\x01\x01\x03") + cap(5, b"\x00\x01\x00\x01\x00\x02") + cap(6) + cap(73, b"\x04host\x00"))),
    "open_minimal": (0, open_msg()),
    "keepalive": (0, msg(4, b"")),
    "notification": (0, msg(3, b"\x06\x02hello")),
    "route_refresh": (0, msg(5, b"\x00\x01\x00\x01")),
    "route_refresh_borr": (0, msg(5, b"\x00\x02\x01\x01")),
    "update_v4": (0, update(attrs=base4 + attr(0x80, 4, b"\x00\x00\x00\x05") + attr(0xC0, 8, b"\xff\xff\xff\x01"), nl=nlri([10, 0, 0, 0], 26) + nlri([10, 0, 0, 7], 32))),
    "update_v4_many": (0, update(attrs=base4, nl=many26)),
    "update_ibgp_rr": (0, update(attrs=base4 + attr(0x40, 5, b"\x00\x00\x00\x64") + attr(0x80, 9, b"\x0a\x00\x00\x09") + attr(0x80, 10, b"\x01\x02\x03\x04"), nl=nlri([192, 168, 0, 0], 24))),
    "update_v6": (0, update(attrs=mp6 + attr(0x40, 1, b"\x02") + attr(0x40, 2, b""))),
    "update_withdraw_v4": (0, update(withdrawn=nlri([10, 0, 0, 64], 26) + nlri([10, 1, 2, 3], 32))),
    "update_withdraw_v6": (0, update(attrs=attr(0x80, 15, b"\x00\x02\x01" + nlri(V6, 122)))),
    "eor_v4": (0, update()),
    "eor_v6": (0, update(attrs=attr(0x80, 15, b"\x00\x02\x01"))),
    "update_all_attrs": (2, update(attrs=base4 + attr(0x80, 4, b"\x00\x00\x00\x01") + attr(0x40, 6, b"") + attr(0xC0, 7, b"\x00\x00\xfd\xe9\x0a\x00\x00\x01")
                                  + attr(0xC0, 16, b"\x00\x02\xfd\xe9\x00\x00\x00\x01") + attr(0xC0, 32, struct.pack("!III", 64512, 1, 2))
                                  + attr(0xC0, 99, b"unknown") + attr(0xE0, 100, b"partial"), nl=nlri([10, 9, 0, 0], 16))),
    "update_sets_confed": (0, update(attrs=attr(0x40, 1, b"\x01") + attr(0x40, 2, as_path([(3, [64512]), (4, [64513, 64514]), (2, [1, 2]), (1, [3, 4])])) + attr(0x40, 3, b"\x0a\x00\x00\x02"), nl=nlri([10, 2, 0, 0], 24))),
    "update_2octet_as4": (1, update(attrs=base2 + attr(0xC0, 7, b"\x5b\xa0\x0a\x00\x00\x01") + attr(0xC0, 17, as_path([(2, [4200000000])])) + attr(0xC0, 18, struct.pack("!I", 4200000000) + b"\x0a\x00\x00\x01"), nl=nlri([10, 3, 0, 0], 26))),
    "update_addpath_v4": (4, update(attrs=base4, nl=nlri([10, 0, 0, 0], 26, 1) + nlri([10, 0, 0, 0], 26, 2))),
    "update_addpath_v6": (8, update(attrs=attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + V6 + b"\x00" + nlri(V6, 122, 7)) + attr(0x40, 1, b"\x00") + attr(0x40, 2, b""))),
    "update_ext_nexthop": (16, update(attrs=attr(0x80, 14, struct.pack("!HBB", 1, 1, 16) + V6 + b"\x00" + nlri([10, 4, 0, 0], 26)) + attr(0x40, 1, b"\x00") + attr(0x40, 2, b""))),
    "update_extended_length_attr": (0, update(attrs=attr(0x40, 1, b"\x00") + attr(0x50, 2, as_path([(2, list(range(1, 100)))])) + attr(0x40, 3, bytes([10, 0, 0, 1])), nl=nlri([10, 5, 0, 0], 24))),
    # ---- malformed ----
    "bad_marker": (0, b"\xfe" + msg(4, b"")[1:]),
    "bad_length": (0, b"\xff" * 16 + b"\x00\x12\x04"),
    "bad_type": (0, msg(9, b"")),
    "keepalive_long": (0, msg(4, b"\x00")),
    "open_bad_version": (0, open_msg(version=3)),
    "open_bad_hold": (0, open_msg(hold=2)),
    "open_bad_param": (0, msg(1, struct.pack("!BHHIB", 4, 1, 90, 1, 3) + b"\x01\x01\x00")),
    "open_bad_cap_len": (0, open_msg(caps=cap(65, b"\x00\x01"))),
    "rr_bad_len": (0, msg(5, b"\x00\x01\x00")),
    "update_bad_wlen": (0, msg(2, b"\x00\x10\x00\x00")),
    "update_bad_origin": (0, update(attrs=attr(0x40, 1, b"\x07") + base4[4:], nl=nlri([10, 0, 0, 0], 8))),
    "update_bad_flags": (0, update(attrs=attr(0xC0, 1, b"\x00") + base4[4:], nl=nlri([10, 0, 0, 0], 8))),
    "update_missing_nh": (0, update(attrs=base4[:4] + attr(0x40, 2, b""), nl=nlri([10, 0, 0, 0], 8))),
    "update_dup_attr": (0, update(attrs=base4 + attr(0x80, 4, b"\x00\x00\x00\x01") + attr(0x80, 4, b"\x00\x00\x00\x02"), nl=nlri([10, 0, 0, 0], 8))),
    "update_dup_mp": (0, update(attrs=attr(0x80, 15, b"\x00\x02\x01") + attr(0x80, 15, b"\x00\x02\x01"))),
    "update_attr_overrun": (0, update(attrs=base4 + b"\x80\x04\x09\x00", nl=nlri([10, 0, 0, 0], 8))),
    "update_bad_aspath": (0, update(attrs=base4[:4] + attr(0x40, 2, b"\x02\x03\x00\x00\x00\x01") + base4[-7:], nl=nlri([10, 0, 0, 0], 8))),
    "update_bad_aggregator": (0, update(attrs=base4 + attr(0xC0, 7, b"\x00\x01"), nl=nlri([10, 0, 0, 0], 8))),
    "update_bad_nlri": (0, update(attrs=base4, nl=b"\x21\x0a\x00\x00\x00\x00")),
    "update_bad_mp_nh": (0, update(attrs=attr(0x80, 14, struct.pack("!HBB", 2, 1, 4) + b"\x0a\x00\x00\x01\x00"))),
    "update_unknown_wellknown": (0, update(attrs=base4 + attr(0x40, 200, b""), nl=nlri([10, 0, 0, 0], 8))),
    "update_localpref_ebgp": (2, update(attrs=base4 + attr(0x40, 5, b"\x00\x00\x00\x64"), nl=nlri([10, 0, 0, 0], 8))),
    "update_communities_len": (0, update(attrs=base4 + attr(0xC0, 8, b"\x00\x01\x02"), nl=nlri([10, 0, 0, 0], 8))),
}

os.makedirs(OUT, exist_ok=True)
for name, (ctx, data) in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([ctx]) + data)
print(f"wrote {len(seeds)} seeds to {OUT}")
