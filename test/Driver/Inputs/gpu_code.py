#!/usr/bin/env python3
"""Lists the GPU code in a file, independently of the runtime's reader.

  gpu_code.py FILE                 a cubin (ELF), a fatbin, or any file with
                                   fatbins inside (an executable): one line
                                   per piece of code, `cubin sm_90a`,
                                   `PTX compute_80`
  gpu_code.py FILE --table T --ptx P
                                   also checks the kernel table T of
                                   --emit cubin/fatbin against the PTX P of
                                   the same model: the same kernels, every
                                   launch names one of them, parameters given

The fatbin layout (NVIDIA's, as `fatbinary` writes it): a 16-byte header
(u32 magic 0xBA55ED50, u16 version, u16 header size, u64 size of the
entries), then entries: u16 kind (1 PTX, 2 cubin), u32 header size at 4,
u64 payload size at 8, u32 architecture at 28, u64 flags at 40 (bit 20:
architecture-specific, sm_90a).
"""
import json
import re
import struct
import sys

# The magic, version 1 and a 16-byte header: the start of a fatbin (the magic
# alone also occurs in the runtime's code, which reads fatbin headers).
FATBIN_MAGIC = struct.pack("<IHH", 0xBA55ED50, 1, 16)


def fatbin_entries(data, start):
    _, _, header, size = struct.unpack_from("<IHHQ", data, start)
    offset, end = start + header, start + header + size
    entries = []
    while offset + 48 <= end:
        kind, entry_header, payload = struct.unpack_from("<H2xIQ", data, offset)
        arch, = struct.unpack_from("<I", data, offset + 28)
        flags, = struct.unpack_from("<Q", data, offset + 40)
        suffix = "a" if flags & (1 << 20) else ""
        if kind == 2:
            body = data[offset + entry_header:offset + entry_header + 4]
            assert body == b"\x7fELF", "a cubin entry that is not ELF"
            entries.append("cubin sm_%d%s" % (arch, suffix))
        elif kind == 1:
            entries.append("PTX compute_%d%s" % (arch, suffix))
        else:
            entries.append("unknown kind %d" % kind)
        offset += entry_header + payload
    assert offset == end, "fatbin entries do not add up to its size"
    return entries, end


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:4] == b"\x7fELF" and data[7] == 0x41 and \
            struct.unpack_from("<H", data, 18)[0] == 190:
        flags, = struct.unpack_from("<I", data, 0x30)
        arch = (flags >> 8) & 0xFF if data[8] >= 8 else flags & 0xFF
        print("cubin sm_%d (ELF, EM_CUDA)" % arch)
    else:
        start = data.find(FATBIN_MAGIC)
        if start < 0:
            sys.exit("no GPU code in " + sys.argv[1])
        while start >= 0:
            print("fatbin at %s" % ("the start" if start == 0 else "an offset"))
            entries, end = fatbin_entries(data, start)
            for entry in entries:
                print(entry)
            start = data.find(FATBIN_MAGIC, end)
    if "--table" in sys.argv:
        table = json.load(open(sys.argv[sys.argv.index("--table") + 1]))
        ptx = open(sys.argv[sys.argv.index("--ptx") + 1]).read()
        entries = set(re.findall(r"\.visible \.entry (\w+)\(", ptx))
        names = [k["name"] for k in table["kernels"]]
        assert len(names) == len(set(names)), "a kernel listed twice"
        assert set(names) == entries, \
            "table %s vs PTX %s" % (sorted(names), sorted(entries))
        for kernel in table["kernels"]:
            assert kernel["params"], kernel["name"] + " has no parameters"
            for param in kernel["params"]:
                assert param["bytes"] in (1, 2, 4, 8), param
        launched = [l["kernel"] for e in table["entries"] for l in e["launches"]]
        assert set(launched) <= set(names), "a launch of an unknown kernel"
        print("table: %d kernels, the PTX's; %d entries, %d launches" %
              (len(names), len(table["entries"]), len(launched)))


main()
