#!/usr/bin/python3
"""Writes a synthetic SONATA circuit for the read benchmark (bench/sonata_read/run).

    bench/sonata_read/generate.py OUTDIR [--nodes 100000] [--in-degree 1000] [--seed 1]
        [--no-index]

One population `cells` of NEST iaf_psc_alpha neurons (two node types, so parameter sets are
resolved per node) and one edge population `cells_to_cells` onto it: every node receives
exactly `--in-degree` edges from sources drawn uniformly (autapses and repeated pairs allowed,
as in real SONATA files). The edge file is laid out as BMTK writes it: rows sorted by target,
source_node_id and target_node_id uint64, edge_type_id and edge_group_id uint32,
edge_group_index uint64, and per-edge syn_weight and delay (float32) in group 0; with the
indices/target_to_source index (node_id_to_range, range_to_edge_id) unless --no-index. A
simulation config with a one-step run and no inputs makes `apical check` and `apical run` do
nothing but read and build. Written in blocks of targets, so memory stays small whatever the
edge count (10^8 edges: 3.6 GB on disk, about two minutes).
"""
import argparse
import json
from pathlib import Path

import h5py
import numpy as np


def write_config(out: Path, index: bool):
    (out / "components").mkdir(exist_ok=True)
    (out / "components" / "exc.json").write_text(json.dumps(
        {"C_m": 250.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0}))
    (out / "components" / "inh.json").write_text(json.dumps(
        {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0}))
    (out / "node_types.csv").write_text(
        "node_type_id ei model_template model_type dynamics_params\n"
        "100 e nest:iaf_psc_alpha point_process exc.json\n"
        "101 i nest:iaf_psc_alpha point_process inh.json\n")
    (out / "edge_types.csv").write_text(
        "edge_type_id dynamics_params model_template\n"
        "100 static.json static_synapse\n")
    (out / "components" / "static.json").write_text("{}")
    circuit = {
        "components": {"point_neuron_models_dir": "./components", "synaptic_models_dir": "./components"},
        "networks": {
            "nodes": [{"nodes_file": "./nodes.h5", "node_types_file": "./node_types.csv"}],
            "edges": [{"edges_file": "./edges.h5", "edge_types_file": "./edge_types.csv"}],
        },
    }
    simulation = {
        "network": "./circuit_config.json",
        "run": {"tstop": 0.1, "dt": 0.1},
        "output": {"output_dir": "./output", "spikes_file": "spikes.h5"},
    }
    (out / "circuit_config.json").write_text(json.dumps(circuit, indent=1))
    (out / "simulation_config.json").write_text(json.dumps(simulation, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--in-degree", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-index", action="store_true")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    n, k = a.nodes, a.in_degree
    n_edges = n * k
    rng = np.random.default_rng(a.seed)

    with h5py.File(a.out / "nodes.h5", "w") as f:
        g = f.create_group("nodes/cells")
        g["node_id"] = np.arange(n, dtype=np.uint64)
        g["node_type_id"] = np.where(np.arange(n) % 5 == 4, 101, 100).astype(np.uint32)
        g["node_group_id"] = np.zeros(n, dtype=np.uint32)
        g["node_group_index"] = np.arange(n, dtype=np.uint64)
        g.create_group("0")

    block_targets = max(1, 4_000_000 // k)
    with h5py.File(a.out / "edges.h5", "w") as f:
        g = f.create_group("edges/cells_to_cells")
        chunk = (min(n_edges, 1 << 20),)

        def column(name, dtype, group=g):
            return group.create_dataset(name, shape=(n_edges,), dtype=dtype, chunks=chunk)

        src = column("source_node_id", np.uint64)
        src.attrs["node_population"] = "cells"
        tgt = column("target_node_id", np.uint64)
        tgt.attrs["node_population"] = "cells"
        typ = column("edge_type_id", np.uint32)
        gid = column("edge_group_id", np.uint32)
        gix = column("edge_group_index", np.uint64)
        g0 = g.create_group("0")
        wgt = column("syn_weight", np.float32, g0)
        dly = column("delay", np.float32, g0)
        for t0 in range(0, n, block_targets):
            t1 = min(n, t0 + block_targets)
            a0, a1 = t0 * k, t1 * k
            src[a0:a1] = rng.integers(0, n, size=a1 - a0, dtype=np.uint64)
            tgt[a0:a1] = np.repeat(np.arange(t0, t1, dtype=np.uint64), k)
            typ[a0:a1] = 100
            gid[a0:a1] = 0
            gix[a0:a1] = np.arange(a0, a1, dtype=np.uint64)
            wgt[a0:a1] = rng.uniform(10.0, 30.0, size=a1 - a0).astype(np.float32)
            dly[a0:a1] = (1.0 + 0.1 * rng.integers(0, 20, size=a1 - a0)).astype(np.float32)
        if not a.no_index:
            # target_to_source: node t owns range t, which covers edge rows [t k, (t + 1) k).
            ix = g.create_group("indices/target_to_source")
            ranges = np.stack([np.arange(n, dtype=np.uint64), np.arange(1, n + 1, dtype=np.uint64)], axis=1)
            ix["node_id_to_range"] = ranges
            ix["range_to_edge_id"] = ranges * np.uint64(k)
    write_config(a.out, not a.no_index)
    print(f"{a.out}: {n} nodes, {n_edges} edges ({'indexed' if not a.no_index else 'no index'})")


if __name__ == "__main__":
    main()
