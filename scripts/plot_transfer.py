#!/usr/bin/python3
"""Dendritic transfer curve of models/dendritic_transfer.yaml (Payeur et al. 2021 Fig. S5).

usage: scripts/plot_transfer.py SPIKES.h5 OUT.png [--population pyramidal] [--steps -50:500:50] [--neurons N]

For each 1 s step of the dendritic current, the event rate (ER) and burst probability
(BP = bursts / events) of the population over the last 0.5 s of the step, from the spike
classes apical writes beside the spikes (trace rule by default), as the authors' bpercurves.
Prints a table and draws BP and ER against the dendritic current.
"""
import argparse

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def population_size(f, population, given):
    """The population's size: --neurons, else the n_neurons attribute of its spike group
    (files of older versions: the n_neurons of its population rate file)."""
    import glob
    import os

    if given:
        return given
    attrs = f[f"spikes/{population}"].attrs
    if "n_neurons" in attrs:
        return int(attrs["n_neurons"])
    for path in glob.glob(os.path.join(os.path.dirname(f.filename), "*.h5")):
        with h5py.File(path, "r", swmr=True) as r:
            g = r.get(f"population_rates/{population}")
            if g is not None:
                return int(g.attrs["n_neurons"])
    raise SystemExit(f"the size of {population} is not in {f.filename}: give --neurons N")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spikes")
    ap.add_argument("png")
    ap.add_argument("--population", default="pyramidal")
    ap.add_argument("--steps", default="-50:500:50", help="first:last:increment of the dendritic current, pA")
    ap.add_argument("--step-ms", type=float, default=1000.0)
    ap.add_argument("--neurons", type=int, default=0, help="population size (default: from the spike file)")
    a = ap.parse_args()
    first, last, inc = (float(x) for x in a.steps.split(":"))
    currents = np.arange(first, last + inc / 2, inc)
    with h5py.File(a.spikes, "r", swmr=True) as f:
        g = f["spikes"][a.population]
        t = g["timestamps"][:]
        c = g["spike_class"][:]
        n = population_size(f, a.population, a.neurons)
    er, bp = [], []
    print("I_d (pA)  ER (Hz)  BR (Hz)  BP")
    for k, i_d in enumerate(currents):
        m = (t >= k * a.step_ms + a.step_ms / 2) & (t < (k + 1) * a.step_ms)
        events = np.count_nonzero(c[m] == 0)
        bursts = np.count_nonzero(c[m] == 1)
        window_s = a.step_ms / 2 / 1000.0
        er.append(events / n / window_s)
        bp.append(bursts / events if events else np.nan)
        print(f"{i_d:8.0f}  {er[-1]:7.2f}  {bursts / n / window_s:7.2f}  {bp[-1]:.3f}")
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.2))
    ax[0].plot(currents, bp, "o-", color="tab:red")
    ax[0].set_xlabel("dendritic current (pA)")
    ax[0].set_ylabel("burst probability")
    ax[0].set_ylim(-0.02, 1.05)
    ax[1].plot(currents, er, "o-", color="tab:blue")
    ax[1].set_xlabel("dendritic current (pA)")
    ax[1].set_ylabel("event rate (Hz)")
    ax[1].set_ylim(0, None)
    fig.suptitle(f"{a.population}: {n} burst_pyramidal cells, 560 pA soma, last 0.5 s of each step")
    fig.tight_layout()
    fig.savefig(a.png, dpi=120)
    print("wrote", a.png)


if __name__ == "__main__":
    main()
