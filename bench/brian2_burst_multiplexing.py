#!/usr/bin/env python3
"""models/burst_multiplexing.yaml in Brian2 C++ standalone mode: the burst-multiplexing circuit
of Payeur et al. 2021, Fig. 3 (docs/models.md 6.2), written with the same equations, weights,
currents and short-term plasticity as the model file, for bench/multiplexing. Run with the
Python that has brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_burst_multiplexing.py --threads 1 --t-stop 4000 --json out.json

How it is written, and where it differs from apical's model file:
- PC1, PC2: 4000 two-compartment burst_pyramidal cells each, the equations of docs/models.md 1.2
  (as bench/brian2_dendritic_transfer.py) with the dendritic synapses' driving force taken at
  the soma's potential V_s (the model file's dendritic_driving_force: soma), forward Euler at
  0.1 ms (Brian's 'euler': the authors' and the model file's reference_step_order: auryn are
  forward Euler too, the latter in single precision); V_s ~ N(-70, 5) mV. Spike when
  V_s > theta, then V_s = V_reset, theta += 2 mV, w_s += 1 and the 2 ms bAP box.
- PV, SOM: 1000 AdEx cells each (Auryn's AdExGroup parameters as in the model file), forward
  Euler; during the refractory period V is held at E_L (the reset sets V = E_L: the model
  file's refractory_clamp: E_L, where V_reset lasts only the spike step). Spike at V > 0 mV.
- Synapses: conductance jumps g += w (nS, the model file's weights), delay 0.8 ms, p = 0.05
  (Brian's connect(p=0.05), drawn by the binary). Short-term plasticity as Brian's documented
  event-driven Tsodyks-Markram form, extended by f (Costa et al. 2013): per synapse
  dx/dt = (1 - x)/tau_D, du/dt = (U - u)/tau_F (event-driven); on_pre: r = u x; g += w r;
  x -= r; u += f (1 - u) (f is named f_inc here: f is the cells' sigmoid). Initial x = 1,
  u = 0.01 at t = 0, relaxing towards U until the first spike (the authors' start; apical's
  u0: 0.01 applies at the first spike instead).
- Background: PoissonInput(N = 1, rate 487.706 Hz) per target variable: at most one spike per
  step with probability rate dt = 0.0487706, the authors' one-to-one 500 Hz PoissonGroups
  exactly (apical: Poisson counts of the same mean).
- Currents set once per step before the update (run_regularly), value at the step's start
  (apical: the sine's mean over the step): PC1 soma 200 pA sin(2 pi 2 Hz t) from 1 s; PC1
  dendrite 50 pA; PC2 soma -100 pA; PC2 dendrite 100 pA + 100 pA sin(2 pi 0.894427191 Hz t)
  from 1 s; PV 205 pA.
- Brian applies a spike after the threshold test of its arrival step and stamps spikes with
  the start of the step (dt is added to the times before the analysis).
After the run (outside every timed phase) the spikes of PC1 and PC2 are classified with apical's
default rule (trace, 16 ms) and binned in 50 ms; the JSON gets the correlations the test of
the model checks (bins after the first second): PC2 event rate with PC1 event rate, PC1 burst
probability with PC2 burst rate.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402
from brian2_dendritic_transfer import classify_trace, pyramidal_equations, pyramidal_namespace  # noqa: E402

N_PC, N_INT = 4000, 1000
P_CONN = 0.05
BIN_MS = 50.0
_STATE = {}


def build_network(args, b2):
    ms, mV, nS, pA, pF, Hz, second = b2.ms, b2.mV, b2.nS, b2.pA, b2.pF, b2.Hz, b2.second
    ns = dict(pyramidal_namespace(b2), bap_steps=20, t_on=1 * second)
    pc_eqs = pyramidal_equations("V_s", somatic_current_variable=True)
    pcs = {}
    for name in ("PC1", "PC2"):
        P = b2.NeuronGroup(N_PC, pc_eqs, threshold="V_s > theta",
                           reset="V_s = V_reset; theta += Delta_theta; w_s += 1; bap = bap_steps",
                           method="euler", name=name)
        P.V_s = "-70*mV + 5*mV*randn()"
        P.V_d = -70 * mV
        P.theta = -50 * mV
        pcs[name] = P
    pcs["PC1"].run_regularly(
        "K = int(bap > 0)\nbap = bap - int(bap > 0)\n"
        "I_s = 200*pA*sin(2*pi*2*Hz*t)*int(t >= t_on)\nI_d = 50*pA",
        when="before_groups", name="PC1_step_inputs")
    pcs["PC2"].run_regularly(
        "K = int(bap > 0)\nbap = bap - int(bap > 0)\n"
        "I_s = -100*pA\nI_d = 100*pA + 100*pA*sin(2*pi*0.894427191*Hz*t)*int(t >= t_on)",
        when="before_groups", name="PC2_step_inputs")

    adex_eqs = """
    dV/dt = (g_L*(E_L - V) + g_L*Delta_T*exp((V - V_T)/Delta_T) + g_e*(E_exc - V) + g_i*(E_inh - V)
             - w + I_e)/C_m : volt (unless refractory)
    dw/dt = (a*(V - E_L) - w)/tau_w : amp
    dg_e/dt = -g_e/tau_AMPA : siemens
    dg_i/dt = -g_i/tau_GABA : siemens
    g_L : siemens (constant)
    C_m : farad (constant)
    Delta_T : volt (constant)
    V_T : volt (constant)
    a : siemens (constant)
    b : amp (constant)
    tau_w : second (constant)
    I_e : amp (constant)
    """
    ints = {}
    for name, p, t_ref in (
        ("PV", dict(g_L=10 * nS, C_m=100 * pF, Delta_T=2 * mV, V_T=-48 * mV, a=0 * nS, b=0 * pA,
                    tau_w=5 * ms, I_e=205 * pA), 1 * ms),
        ("SOM", dict(g_L=5 * nS, C_m=100 * pF, Delta_T=4 * mV, V_T=-61.8358 * mV, a=0.5 * nS, b=10 * pA,
                     tau_w=500 * ms, I_e=0 * pA), 2 * ms),
    ):
        G = b2.NeuronGroup(N_INT, adex_eqs, threshold="V > 0*mV", reset="V = E_L; w += b",
                           refractory=t_ref, method="euler", name=name)
        for k, v in p.items():
            setattr(G, k, v)
        G.V = "-70*mV + 5*mV*randn()"
        ints[name] = G

    # Background: one independent Poisson input per target neuron and variable.
    rate = 487.706 * Hz
    background = []
    for P in pcs.values():
        for var, w in (("g_sE", 8.09375), ("g_sI", 8.09375), ("g_dE", 1.2142857), ("g_dI", 1.2142857)):
            background.append(b2.PoissonInput(P, var, N=1, rate=rate, weight=w * nS))
    for G, we, wi in ((ints["SOM"], 2.0, 2.5), (ints["PV"], 7.5, 11.25)):
        background.append(b2.PoissonInput(G, "g_e", N=1, rate=rate, weight=we * nS))
        background.append(b2.PoissonInput(G, "g_i", N=1, rate=rate, weight=wi * nS))

    stp_model = """
    dx/dt = (1 - x)/tau_D : 1 (event-driven)
    du/dt = (U - u)/tau_F : 1 (event-driven)
    U : 1 (shared, constant)
    f_inc : 1 (shared, constant)
    tau_F : second (shared, constant)
    tau_D : second (shared, constant)
    """
    depressing = dict(U=0.9, f_inc=0.1, tau_F=1 * second, tau_D=20 * ms)
    facilitating = dict(U=0.02, f_inc=0.1, tau_F=100 * ms, tau_D=100 * ms)
    groups = dict(pcs, **ints)
    syn = []
    for name, src, tgt, var, w, stp in (
        ("ff_PC1_PC2", "PC1", "PC2", "g_sE", 1.15625, depressing),
        ("ff_PC1_PV", "PC1", "PV", "g_e", 0.5, depressing),
        ("PV_PC2", "PV", "PC2", "g_sI", 1.61875, None),
        ("fb_PC2_PC1", "PC2", "PC1", "g_dE", 8.9857143, facilitating),
        ("fb_PC2_SOM", "PC2", "SOM", "g_e", 1.5, facilitating),
        ("SOM_PC1", "SOM", "PC1", "g_dI", 0.85, None),
        ("local_PC1", "PC1", "PC1", "g_dI", 2.4285714, facilitating),
        ("local_PC2", "PC2", "PC2", "g_dI", 2.4285714, facilitating),
    ):
        if stp is None:
            S = b2.Synapses(groups[src], groups[tgt], on_pre=f"{var}_post += {w}*nS", delay=0.8 * ms, name=name)
        else:
            S = b2.Synapses(groups[src], groups[tgt], model=stp_model,
                            on_pre=f"r = u*x\n{var}_post += {w}*nS*r\nx -= r\nu += f_inc*(1 - u)",
                            delay=0.8 * ms, name=name)
        S.connect(p=P_CONN)
        if stp is not None:
            for k, v in stp.items():
                setattr(S, k, v)
            S.x = 1.0
            S.u = 0.01
        syn.append(S)
    mons = {name: b2.SpikeMonitor(groups[name], name=f"spikes_{name}") for name in groups}
    _STATE.update(args=args, monitors=mons, dt_s=float(b2.defaultclock.dt / second))
    return {
        "namespace": ns,
        "monitors": {name: (mons[name], N_PC if name.startswith("PC") else N_INT) for name in groups},
        "n_synapses": lambda: sum(int(len(S)) for S in syn),
        "params": {"method": "euler", "p": P_CONN, "dendritic_driving_force": "V_s",
                   "stp": "event-driven per synapse (Brian's documented form with f)"},
        "objects": list(groups.values()) + background + syn + list(mons.values()),
    }


def binned(times_ms, classes, n, t_stop_ms):
    """Event rate, burst rate (Hz per neuron) and burst probability per 50 ms bin."""
    import numpy as np
    edges = np.arange(0.0, t_stop_ms + 1e-9, BIN_MS)
    ev = np.histogram(times_ms[classes == 0], edges)[0].astype(float)
    bu = np.histogram(times_ms[classes == 1], edges)[0].astype(float)
    scale = 1000.0 / BIN_MS / n
    with np.errstate(invalid="ignore", divide="ignore"):
        bp = np.where(ev > 0, bu / ev, np.nan)
    return edges[:-1], ev * scale, bu * scale, bp


def correlations(series, t_from_ms=1000.0):
    """The two correlations of the multiplexing test, over the bins starting at or after t_from.
    series: {pop: (bin_start_ms, er, br, bp)}."""
    import numpy as np
    t, er1, _, bp1 = series["PC1"]
    _, er2, br2, _ = series["PC2"]
    m = t >= t_from_ms
    ok = m & np.isfinite(bp1)
    return {"PC2_ER_vs_PC1_ER": float(np.corrcoef(er2[m], er1[m])[0, 1]),
            "PC1_BP_vs_PC2_BR": float(np.corrcoef(bp1[ok], br2[ok])[0, 1]),
            "bins": int(np.count_nonzero(m))}


def _analyse_after_run():
    import numpy as np
    args, mons = _STATE["args"], _STATE["monitors"]
    series = {}
    for name in ("PC1", "PC2"):
        senders = np.asarray(mons[name].i[:], dtype=np.int64)
        times_ms = np.asarray(mons[name].t[:] / _ms(), dtype=np.float64) + _STATE["dt_s"] * 1000.0
        series[name] = binned(times_ms, classify_trace(senders, times_ms), N_PC, args.t_stop)
    c = correlations(series)
    print(f"correlations (50 ms bins after 1 s): PC2 ER vs PC1 ER {c['PC2_ER_vs_PC1_ER']:.3f}, "
          f"PC1 BP vs PC2 BR {c['PC1_BP_vs_PC2_BR']:.3f}")
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
        data["correlations"] = c
        with open(args.json, "w") as f:
            f.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _ms():
    import brian2
    return brian2.ms


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network)
    _analyse_after_run()
