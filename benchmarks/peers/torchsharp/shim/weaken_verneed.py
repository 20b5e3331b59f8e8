"""Marks one symbol-version requirement of an ELF file as weak (VER_FLG_WEAK), so the loader only warns when the
installed libstdc++ lacks it. Usage: weaken_verneed.py LIB VERSION (e.g. GLIBCXX_3.4.32). From shared/probes.md 7."""
import struct
import sys

path, want = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, 'rb').read())
shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum = struct.unpack_from('<HH', data, 0x3A)
secs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]
for s in secs:
    if s[1] != 0x6ffffffe:  # SHT_GNU_verneed
        continue
    stroff = secs[s[6]][4]
    off = s[4]
    while True:
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', data, off)
        a = off + vn_aux
        for _ in range(vn_cnt):
            h, flags, other, name, nxt = struct.unpack_from('<IHHII', data, a)
            if data[stroff + name: data.index(0, stroff + name)] == want:
                struct.pack_into('<H', data, a + 4, flags | 0x2)
                print('weakened', want.decode())
            a += nxt
        if vn_next == 0:
            break
        off += vn_next
open(path, 'wb').write(data)
