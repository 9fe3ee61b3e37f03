#!/usr/bin/env python3
"""Raster plot and population rates from an apical (SONATA) spike file.

usage: plot_raster.py spikes.h5 raster.png [--max-neurons N] [--window T0 T1]
"""
import argparse

import h5py
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spikes")
    ap.add_argument("png")
    ap.add_argument("--max-neurons", type=int, default=200, help="neurons shown per population")
    ap.add_argument("--window", type=float, nargs=2, default=None, help="time window in ms")
    a = ap.parse_args()

    with h5py.File(a.spikes, "r") as f:
        pops = list(f["spikes"].keys())
        t_stop = float(f["apical"].attrs.get("simulated_ms", f["apical"].attrs["t_stop_ms"]))
        data = {p: (f["spikes"][p]["timestamps"][:], f["spikes"][p]["node_ids"][:]) for p in pops}
    t0, t1 = a.window if a.window else (max(0.0, t_stop - 500.0), t_stop)

    fig, (ax_r, ax_h) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                     gridspec_kw={"height_ratios": [3, 1]})
    offset = 0
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, p in enumerate(pops):
        t, n = data[p]
        sel = (n < a.max_neurons) & (t >= t0) & (t <= t1)
        ax_r.plot(t[sel], n[sel] + offset, "|", ms=2, color=colors[k % len(colors)], label=p)
        n_neurons = int(n.max()) + 1 if len(n) else 1
        rate = len(t) / max(n_neurons, 1) / (t_stop * 1e-3) if t_stop > 0 else 0.0
        bins = np.arange(t0, t1 + 1.0, 1.0)
        counts, _ = np.histogram(t, bins)
        ax_h.plot(bins[:-1], counts / max(n_neurons, 1) / 1e-3, color=colors[k % len(colors)],
                  label=f"{p}: {rate:.1f} Hz (mean over the run)")
        offset += min(a.max_neurons, n_neurons)
    ax_r.set_ylabel("neuron")
    ax_r.legend(loc="upper right", markerscale=4)
    ax_h.set_xlabel("time (ms)")
    ax_h.set_ylabel("rate (Hz, 1 ms bins)")
    ax_h.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(a.png, dpi=120)


if __name__ == "__main__":
    main()
