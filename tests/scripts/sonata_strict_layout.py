#!/usr/bin/python3
"""Reads apical's output files back with h5py as a strict (libsonata-compatible) SONATA reader
expects them, and exits 1 at the first departure:

    tests/scripts/sonata_strict_layout.py OUTDIR/spikes.h5 [OUTDIR/REPORT.h5 ...]

- root attributes `magic` (uint32 0x0A7A) and `version` (uint32 [0, 1]) in every file;
- spikes: per population `timestamps` (float64, units "ms") and `node_ids` (uint64) of one
  length, and `sorting` an HDF5 *enum* attribute {none: 0, by_id: 1, by_time: 2} (a string, as
  BMTK writes it, fails here) whose order the data keep;
- reports: `mapping/node_ids` (uint64, N), `mapping/index_pointers` (uint64, N + 1, from 0,
  non-decreasing), `mapping/element_ids` (uint32, index_pointers[N] of them), `mapping/time`
  (float64 [start, stop, step], units "ms"), `data` float32 [frames, index_pointers[N]] with
  frames = (stop - start) / step, and a `units` attribute.

Prints one line per population (its counts), which the calling test compares.
"""
import sys

import h5py
import numpy as np


def fail(path, what):
    print(f"{path}: {what}")
    sys.exit(1)


def check_root(f, path):
    magic, version = f.attrs.get("magic"), f.attrs.get("version")
    if magic is None or f.attrs.get_id("magic").dtype != np.uint32 or int(magic) != 0x0A7A:
        fail(path, f"root attribute magic: expected uint32 0x0A7A, found {magic!r}")
    if version is None or f.attrs.get_id("version").dtype != np.uint32 or list(np.ravel(version)) != [0, 1]:
        fail(path, f"root attribute version: expected uint32 [0, 1], found {version!r}")


def check_spikes(path):
    with h5py.File(path, "r") as f:
        check_root(f, path)
        for name, g in f["spikes"].items():
            where = f"/spikes/{name}"
            if "sorting" not in g.attrs:
                fail(path, f"{where}: no sorting attribute")
            mapping = h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)
            if mapping != {"none": 0, "by_id": 1, "by_time": 2}:
                fail(path, f"{where}.sorting: expected the enum none/by_id/by_time, found {mapping!r}")
            sorting = {v: k for k, v in mapping.items()}[int(g.attrs["sorting"])]
            ts, ids = g["timestamps"], g["node_ids"]
            if ts.dtype != np.float64 or ts.attrs.get("units") != "ms":
                fail(path, f"{where}/timestamps: expected float64 in ms, found {ts.dtype} {ts.attrs.get('units')!r}")
            if ids.dtype != np.uint64 or ids.shape != ts.shape or len(ts.shape) != 1:
                fail(path, f"{where}/node_ids: expected uint64 of the shape of timestamps, found {ids.dtype} {ids.shape}")
            t, n = ts[:], ids[:]
            if sorting == "by_time" and np.any(np.diff(t) < 0):
                fail(path, f"{where}: sorting by_time, but timestamps decrease")
            if sorting == "by_id" and np.any(np.diff(n.astype(np.int64)) < 0):
                fail(path, f"{where}: sorting by_id, but node_ids decrease")
            print(f"spikes {name} {len(t)} {sorting}")


def check_report(path):
    with h5py.File(path, "r") as f:
        check_root(f, path)
        for name, g in f["report"].items():
            where = f"/report/{name}"
            m = g["mapping"]
            nodes, ptr, elements, time = m["node_ids"], m["index_pointers"], m["element_ids"], m["time"]
            if nodes.dtype != np.uint64 or len(nodes.shape) != 1:
                fail(path, f"{where}/mapping/node_ids: expected 1-D uint64, found {nodes.dtype} {nodes.shape}")
            n = nodes.shape[0]
            p = ptr[:]
            if ptr.dtype != np.uint64 or p.shape != (n + 1,) or p[0] != 0 or np.any(np.diff(p.astype(np.int64)) < 0):
                fail(path, f"{where}/mapping/index_pointers: expected uint64 [N + 1 = {n + 1}] from 0, non-decreasing, "
                           f"found {ptr.dtype} {p.shape} {p[:4]}")
            if elements.dtype != np.uint32 or elements.shape != (int(p[-1]),):
                fail(path, f"{where}/mapping/element_ids: expected uint32 [{int(p[-1])}], found {elements.dtype} {elements.shape}")
            if time.dtype != np.float64 or time.shape != (3,) or time.attrs.get("units") != "ms":
                fail(path, f"{where}/mapping/time: expected float64 [start, stop, step] in ms")
            start, stop, step = time[:]
            frames = int(round((stop - start) / step))
            data = g["data"]
            if data.dtype != np.float32 or data.shape != (frames, int(p[-1])) or "units" not in data.attrs:
                fail(path, f"{where}/data: expected float32 [{frames}, {int(p[-1])}] with units, "
                           f"found {data.dtype} {data.shape} {dict(data.attrs)}")
            print(f"report {name} {frames} {int(p[-1])}")


def main():
    for path in sys.argv[1:]:
        with h5py.File(path, "r") as f:
            kind = "spikes" if "spikes" in f else "report" if "report" in f else None
        if kind is None:
            fail(path, "neither /spikes nor /report")
        (check_spikes if kind == "spikes" else check_report)(path)


if __name__ == "__main__":
    main()
