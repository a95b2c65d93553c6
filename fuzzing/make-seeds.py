#!/usr/bin/env python3
"""Regenerates the fuzz targets' seed corpora (the @FuzzTest regression inputs) from the kernel
fixtures in ../shared/fixtures and from `snapstore dump` output. Seeds are kept small (a few KiB):
COW images are cut to their header chunk and the first sectors of metadata area 0, and dumps to
their first exceptions. Run from the repository root after building the CLI (./snapstore builds it):

    python3 fuzzing/make-seeds.py

Each seed is named after where it came from. The input layouts (prefix bytes before the image or
dump) are described in each fuzz test's javadoc.
"""
import json
import lzma
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures")
RES = {
    "loader": "store-persistent/src/test/resources/dev/snapstore/store/persistent/LoaderFuzzTestInputs/readMetadata",
    "table": "dm/src/test/resources/dev/snapstore/dm/TableLineFuzzTestInputs/tableLine",
    "status": "dm/src/test/resources/dev/snapstore/dm/StatusLineFuzzTestInputs/statusLine",
    "check": "cli/src/test/resources/dev/snapstore/cli/CheckFuzzTestInputs/check",
    "restore": "cli/src/test/resources/dev/snapstore/cli/RestoreFuzzTestInputs/restore",
}
COWS = ["s2-persistent-P-cs8", "s2-persistent-PO-cs8", "s2-persistent-P-cs16", "s4-overflow-a-PO-snap-writes",
        "s4-overflow-b-P-snap-writes", "s5-merge-handover-P-cs8"]
AREA0_BYTES = 1024  # the first 64 records of area 0


def out(kind, name, data):
    d = os.path.join(ROOT, RES[kind])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def cow_image(fixture):
    with lzma.open(os.path.join(FIXTURES, fixture, "cow-final.img.xz")) as f:
        return f.read()


def cut(image):
    """Header chunk + the start of area 0: enough for a loader to read real records."""
    cs = struct.unpack_from("<I", image, 12)[0]
    return image[: cs * 512 + AREA0_BYTES]


def lines(pattern):
    found = set()
    for fixture in sorted(os.listdir(FIXTURES)):
        path = os.path.join(FIXTURES, fixture, "scenario.txt")
        if not os.path.exists(path):
            continue
        for raw in open(path, encoding="utf-8"):
            for m in re.finditer(pattern, raw):
                found.add(m.group(1).strip())
    return sorted(found)


def main():
    # 1. Loader and checker: real COWs, cut; the device/origin keep the real size.
    for fixture in COWS:
        image = cow_image(fixture)
        small = cut(image)
        sectors = len(image) // 512
        po = 1 if "-PO-" in fixture else 0
        # flags: bit 0 PO, bits 1-3 table chunk size index (0 = from the header, 3 = "8"), bits 4-5 block size.
        out("loader", fixture + "-from-header", bytes([po]) + struct.pack(">I", sectors) + small)
        out("loader", fixture + "-table-cs8", bytes([po | (3 << 1)]) + struct.pack(">I", sectors) + small)
        out("check", fixture, bytes([0, 0, 0]) + small)
        out("check", fixture + "-json-origin", bytes([3]) + struct.pack(">H", 0xffff) + small)
    out("loader", "blank-new-cow", bytes([0]) + struct.pack(">I", 64) + bytes(512))
    out("check", "invalidated-header", bytes([1, 0, 0]) + struct.pack("<IIII", 0x70416E53, 0, 1, 8) + bytes(496))

    # 2. Table and status lines: everything the fixtures printed or were given.
    table = lines(r'--table "([^"]*)"') + lines(r'^\s*((?:\S+: )?\d+ \d+ snapshot(?:-merge)? \S+ \S+ \S+ \d+.*)$')
    status = lines(r'^\s*((?:\S+: )?\d+ \d+ snapshot(?:-merge)? (?:\d+/\d+(?: \d+)?|Invalid|Overflow|Merge failed|Unknown))\s*$')
    for i, line in enumerate(sorted(set(table))):
        out("table", "fixture-%02d" % i, line.encode())
    for i, line in enumerate(sorted(set(status))):
        out("status", "fixture-%02d" % i, line.encode())

    # 3. Dumps, as `snapstore dump` and `dump --json` print them, cut to their first exceptions.
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in ["s2-persistent-P-cs8", "s4-overflow-a-PO-snap-writes", "s5-merge-handover-P-cs8"]:
            image = cow_image(fixture)
            path = os.path.join(tmp, fixture + ".img")
            with open(path, "wb") as f:
                f.write(image)
            sectors = len(image) // 512 - 1
            text = subprocess.run([os.path.join(ROOT, "snapstore"), "dump", "--cow", path], check=True,
                                  capture_output=True, text=True).stdout
            js = json.loads(subprocess.run([os.path.join(ROOT, "snapstore"), "dump", "--cow", path, "--json"],
                                           check=True, capture_output=True, text=True).stdout)
            keep = 8
            kept, n = [], 0
            for line in text.splitlines():
                if line.startswith("exception "):
                    n += 1
                    if n > keep:
                        continue
                if line.startswith("end exceptions="):
                    line = "end exceptions=%d" % min(n, keep)
                kept.append(line)
            text = "\n".join(kept) + "\n"
            js["exceptions"] = js["exceptions"][:keep]
            js["count"] = len(js["exceptions"])
            size = struct.pack(">H", min(sectors, 0xffff))
            out("restore", fixture + ".dump", size + text.encode())
            out("restore", fixture + ".json", size + json.dumps(js, indent=2).encode())
    print("seeds written", file=sys.stderr)


if __name__ == "__main__":
    main()
