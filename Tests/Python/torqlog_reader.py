#!/usr/bin/env python3
"""A torqlog store reader written from FORMAT.md alone (format versions 1, 2 and 3).

Usage: torqlog_reader.py STORE_DIR
Prints the store's records as JSONL (what `torqlog export` prints), verifying
every checksum; exits 1 with a message on any damage. Needs the `lz4` package.
"""
import os
import struct
import sys

import lz4.frame

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Damage(Exception):
    pass


def read_wal(path, base, is_last):
    data = open(path, "rb").read()
    if len(data) < 32 or data[:8] != b"TQLGWAL\n":
        raise Damage(f"{path}: bad segment header")
    version, hlen, hbase, _res, hcrc = struct.unpack_from("<IIQII", data, 8)
    if crc32c(data[:28]) != hcrc or version != 1 or hlen != 32 or hbase != base:
        raise Damage(f"{path}: segment header check failed")
    off, seq, out = 32, base, []
    while off < len(data):
        if len(data) - off < 32:
            if is_last:
                break
            raise Damage(f"{path} at {off}: partial header")
        crc, hcrc, plen, rlen, tlen, flags, fseq, _t = struct.unpack_from("<IIIHBBQq", data, off)
        if crc32c(data[off + 8:off + 32]) != hcrc:
            if is_last and not any(data[off:]):
                break
            raise Damage(f"{path} at {off}: header checksum")
        if fseq != seq or flags & 0xE0 or plen > 16 * 1024 * 1024:
            raise Damage(f"{path} at {off}: bad header fields")
        end = off + 32 + rlen + tlen + plen
        if end > len(data):
            if is_last:
                break
            raise Damage(f"{path} at {off}: partial frame")
        if crc32c(data[off + 4:end]) != crc:
            raise Damage(f"{path} at {off}: frame checksum")
        out.append(data[end - plen:end])
        off, seq = end, seq + 1
    return out, seq


def read_sealed(path, base):
    data = open(path, "rb").read()
    if len(data) < 56 or data[-8:] != b"TQLGSEG\n":
        raise Damage(f"{path}: no trailer")
    t = data[-48:]
    ioff, ilen, icrc, first, count, version, tcrc = struct.unpack_from("<QIIQQII", t, 0)
    if crc32c(t[:36]) != tcrc or version not in (2, 3) or first != base:
        raise Damage(f"{path}: trailer check failed")
    index = data[ioff:ioff + ilen]
    if crc32c(index) != icrc or ioff + ilen != len(data) - 48:
        raise Damage(f"{path}: index checksum")
    if version == 3:
        return read_sealed_v3(path, base, data, index, ioff, count)
    magic, size = struct.unpack_from("<II", data, ioff - 8)
    if magic != 0x184D2A50 or size != ilen + 48:
        raise Damage(f"{path}: index frame header")
    version, nblocks = struct.unpack_from("<II", index, 0)
    blocks = [struct.unpack_from("<QIIIIQqqII", index, 8 + 56 * i) for i in range(nblocks)]
    p = 8 + 56 * nblocks
    (nruns,) = struct.unpack_from("<I", index, p); p += 4
    for _ in range(nruns):
        (klen,) = struct.unpack_from("<H", index, p); p += 2 + klen
        (n,) = struct.unpack_from("<I", index, p); p += 4 + 4 * n
    (ntypes,) = struct.unpack_from("<I", index, p); p += 4
    for _ in range(ntypes):
        p += 1 + index[p] + 8
    _no_run, _no_time, rcount, _jsonl, _mint, _maxt, ifirst, end_seq = struct.unpack_from("<QQQQqqQQ", index, p)
    if rcount != count or ifirst != base:
        raise Damage(f"{path}: index totals")
    out = []
    for entry in blocks:
        out.extend(line for _, line in read_block(path, data, entry))
    return out, end_seq


def read_block(path, data, entry):
    """A block (sections 7.1, 7.2) given its index entry: its lines with their sequences, in line order."""
    (boff, dlen, klen, jlen, bcount, bfirst, _mn, _mx, bcrc, _span) = entry[:10]
    raw = data[boff:boff + dlen + klen]
    if crc32c(raw) != bcrc:
        raise Damage(f"{path} at {boff}: block checksum")
    jsonl = lz4.frame.decompress(raw[:dlen])
    kmagic, ksize, tsize = struct.unpack_from("<III", raw, dlen)
    if kmagic != 0x184D2A51 or ksize != klen - 8:
        raise Damage(f"{path} at {boff}: keys frame header")
    table = lz4.frame.decompress(raw[dlen + 12:])
    if len(jsonl) != jlen or len(table) != tsize:
        raise Damage(f"{path} at {boff}: sizes")
    lines = jsonl.split(b"\n")
    seqs = keys_sequences(table, bfirst)
    if lines[-1] != b"" or len(lines) - 1 != len(seqs) or len(seqs) != bcount:
        raise Damage(f"{path} at {boff}: line count")
    return list(zip(seqs, lines[:-1]))


def keys_sequences(table, first_sequence):
    """The sequence of each record of a keys table (section 7.2), in line order."""
    (n, nruns) = struct.unpack_from("<II", table, 0)
    p = 8
    for _ in range(nruns):
        (klen,) = struct.unpack_from("<H", table, p)
        p += 2 + klen
    (ntypes,) = struct.unpack_from("<I", table, p)
    p += 4
    for _ in range(ntypes):
        p += 1 + table[p]
    if len(table) - p != 20 * n:
        raise Damage("keys table size")
    return [first_sequence + struct.unpack_from("<I", table, p + 20 * i)[0] for i in range(n)]


def read_sealed_v3(path, base, data, head, head_offset, count):
    """Section 7.4: groups of blocks in cluster order, put back in sequence order."""
    version, nblocks, table_offset, ngroups = struct.unpack_from("<IIQI", head, 0)
    if version != 3:
        raise Damage(f"{path}: index head version")
    groups = [struct.unpack_from("<QIIII", head, 20 + 24 * g) for g in range(ngroups)]
    p = 20 + 24 * ngroups
    (ntypes,) = struct.unpack_from("<I", head, p); p += 4
    for _ in range(ntypes):
        p += 1 + head[p] + 8
    _no_run, _no_time, rcount, _jsonl, _mint, _maxt, ifirst, end_seq, nruns, npages = struct.unpack_from("<QQQQqqQQII", head, p)
    p += 72
    if rcount != count or ifirst != base:
        raise Damage(f"{path}: index totals")
    magic, size = struct.unpack_from("<II", data, table_offset - 8)
    if magic != 0x184D2A50 or size != len(data) - table_offset:
        raise Damage(f"{path}: index frame header")
    # Run pages: each checked by its own CRC-32C.
    runs = 0
    for _ in range(npages):
        poff, plen, pruns, klen = struct.unpack_from("<QIIH", head, p)
        p += 18 + klen
        page = data[poff:poff + plen]
        if crc32c(page[:-4]) != struct.unpack_from("<I", page, plen - 4)[0] or struct.unpack_from("<I", page, 0)[0] != pruns:
            raise Damage(f"{path} at {poff}: run page")
        runs += pruns
    if p != len(head) or runs != nruns:
        raise Damage(f"{path}: index head")
    entries = []
    for i in range(nblocks):
        e = data[table_offset + 64 * i:table_offset + 64 * (i + 1)]
        if crc32c(e[:60]) != struct.unpack_from("<I", e, 60)[0]:
            raise Damage(f"{path} at {table_offset + 64 * i}: block entry checksum")
        entries.append(struct.unpack_from("<QIIIIQqqII", e, 0))
    out = []
    for (gfirst, gspan, gcount, fblock, bcount) in groups:
        lines = []
        for entry in entries[fblock:fblock + bcount]:
            lines.extend(read_block(path, data, entry))
        lines.sort()
        seqs = [s for s, _ in lines]
        if len(lines) != gcount or len(set(seqs)) != gcount or seqs[0] != gfirst or seqs[-1] != gfirst + gspan:
            raise Damage(f"{path}: group at sequence {gfirst} does not hold its records")
        out.extend(line for _, line in lines)
    if len(out) != count:
        raise Damage(f"{path}: record count")
    return out, end_seq


def main(store):
    names = sorted(os.listdir(store))
    segs = {}
    for name in names:
        stem, _, ext = name.partition(".")
        if len(stem) == 20 and stem.isdigit() and ext in ("wal", "lz4"):
            if ext == "lz4" or int(stem) not in segs:
                segs[int(stem)] = ext
    bases = sorted(segs)
    out = sys.stdout.buffer
    expected = None
    for i, base in enumerate(bases):
        if expected is not None and base != expected:
            raise Damage(f"segment {base}: records missing before it (expected {expected})")
        path = os.path.join(store, "%020d.%s" % (base, segs[base]))
        if segs[base] == "wal":
            records, expected = read_wal(path, base, i == len(bases) - 1)
        else:
            records, expected = read_sealed(path, base)
        for r in records:
            out.write(r + b"\n")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Damage as e:
        print(f"torqlog_reader: {e}", file=sys.stderr)
        sys.exit(1)
