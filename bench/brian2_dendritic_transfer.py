#!/usr/bin/env python3
"""models/dendritic_transfer.yaml in Brian2 C++ standalone mode: the open-loop dendritic transfer
protocol (Payeur et al. 2021, Fig. S5; docs/models.md 6.1) with two-compartment burst_pyramidal
cells (docs/models.md 1.2-1.6). Run with the Python that has brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_dendritic_transfer.py --threads 1 --t-stop 3000 --neurons 2000 --json out.json

What is and is not the same as models/dendritic_transfer.yaml (apical's defaults of
burst_pyramidal: reference_step_order default, dendritic_driving_force V_d, bAP_summation
restart, bAP_delay 0, t_ref 0):
- --neurons (default 10000) cells, in units of volt, amp, siemens:
    C_s dV_s/dt = -(C_s/tau_s)(V_s - E_L) + g_s f(V_d) + b w_s + g_sE (E_exc - V_s) + g_sI (E_inh - V_s) + I_s
    C_d dV_d/dt = -(C_d/tau_d)(V_d - E_L) + g_d f(V_d) + c_d K + a_w w_d + g_dE (E_exc - V_d) + g_dI (E_inh - V_d) + I_d
    f(V_d) = 1/(1 + exp(-(V_d - E_d)/D_d)), dw_s/dt = -w_s/tau_ws, tau_wd dw_d/dt = V_d - E_L - w_d,
    dtheta/dt = (theta_0 - theta)/tau_theta, dg/dt = -g/tau (5 ms exc, 10 ms inh).
  Parameters as docs/models.md 1.6 (C_s 370 pF, tau_s 16 ms, g_s 1300 pA, b -200 pA, tau_ws 100 ms,
  C_d 170 pF, tau_d 7 ms, g_d 1200 pA, a_w -13 nS, tau_wd 30 ms, c_d 2600 pA, E_d -38 mV,
  D_d 6 mV, E_L = V_reset -70 mV, theta_0 -50 mV, Delta_theta 2 mV, tau_theta 27 ms,
  E_exc 0, E_inh -80 mV). Initial state V_s = V_d = E_L, theta = theta_0, w_s = w_d = g = 0
  (apical's defaults; the model file sets no initial values).
- Spike when V_s > theta (after the step's update), then V_s = V_reset, theta += 2 mV,
  w_s += 1 and the bAP box K = 1 for the next 20 steps (2 ms), restarted by a new spike.
  No refractory period.
- K and the dendritic step current are set once per step, before the state update, by a
  run_regularly operation (an integer countdown, and the TimedArray sampled at the step's
  start), so both are constant over the step as in apical; inside the integrator a
  TimedArray(t) would switch at the last stage (t + dt) of the step before a boundary.
- Integration: --method rk4 (default; Brian's classical 4th-order Runge-Kutta on the whole
  state, conductances included). apical's default step is RK4 on (V_s, V_d, w_d) with the
  conductances, w_s and theta advanced exactly, so rk4 is the same scheme up to the
  O(dt^5) error of RK4 on the linear decays; 'euler' (forward Euler, Auryn's scheme, 4 times
  fewer right-hand-side evaluations) is possible but a different discretisation: near the
  dendritic plateau threshold the burst probability is sensitive to it.
- Background: PoissonGroup(25000, 5 Hz) excitatory and inhibitory (a spike in a step with
  probability rate*dt; apical 1 - exp(-rate*dt), 5e-4 against 4.99875e-4). Four Synapses
  objects, connect(p=0.004) each (soma exc/inh, and independently dendrite exc/inh), drawn by
  the binary with Brian's seeded generator; on_pre g += w, w = 1.15625 nS (soma) and
  1.2142857 nS (dendrite); homogeneous delay 0.8 ms. Brian applies a spike after the
  threshold test of its arrival step, so the effective delay is one step longer than apical's.
- Somatic current 560 pA; dendritic current TimedArray [-50, 0, ..., 500] pA, 1 s each.
- Records the pyramidal spikes (SpikeMonitor). After the run (outside every timed phase) the
  spikes are classified with apical's default rule (spike_classification {rule: trace,
  threshold: 16 ms}: a spike continues a burst when the neuron's trace, tau 16 ms, +1 per spike,
  read before the spike, is >= 1/e; the second spike of a burst is the burst spike) and the
  event rate and burst probability of the population over the last 0.5 s of each 1 s step
  are added to the JSON as "transfer" (as scripts/plot_transfer.py does for apical).
  Brian stamps a spike with the start of its step, apical with the end: dt is added to
  Brian's times before the analysis.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402

N_PYR = 10000
N_SRC = 25000  # per background population
P_CONN = 0.004
I_STEPS_PA = [-50.0 + 50.0 * k for k in range(12)]
STEP_MS = 1000.0
_STATE = {}  # args and monitor, for the analysis after brian2_common.main


def pyramidal_namespace(b2):
    """burst_pyramidal's parameters (docs/models.md 1.6) and the synaptic constants, in Brian units."""
    ms, mV, nS, pA, pF = b2.ms, b2.mV, b2.nS, b2.pA, b2.pF
    return {
        "C_s": 370 * pF, "tau_s": 16 * ms, "g_s": 1300 * pA, "b": -200 * pA, "tau_ws": 100 * ms,
        "C_d": 170 * pF, "tau_d": 7 * ms, "g_d": 1200 * pA, "a_w": -13 * nS, "tau_wd": 30 * ms,
        "c_d": 2600 * pA, "E_d": -38 * mV, "D_d": 6 * mV,
        "E_L": -70 * mV, "V_reset": -70 * mV, "theta_0": -50 * mV, "Delta_theta": 2 * mV,
        "tau_theta": 27 * ms, "E_exc": 0 * mV, "E_inh": -80 * mV,
        "tau_AMPA": 5 * ms, "tau_GABA": 10 * ms,
    }


def pyramidal_equations(dendritic_driving_force, somatic_current_variable=False):
    """burst_pyramidal's equations (docs/models.md 1.2) as Brian2 text. The dendritic synapses'
    driving force is taken at `dendritic_driving_force` ("V_d", or "V_s" as the authors' code);
    I_s is a namespace constant unless `somatic_current_variable` makes it a per-neuron variable."""
    v = dendritic_driving_force
    return f"""
    dV_s/dt = (-(C_s/tau_s)*(V_s - E_L) + g_s*f + b*w_s
               + g_sE*(E_exc - V_s) + g_sI*(E_inh - V_s) + I_s) / C_s : volt
    dV_d/dt = (-(C_d/tau_d)*(V_d - E_L) + g_d*f + c_d*K + a_w*w_d
               + g_dE*(E_exc - {v}) + g_dI*(E_inh - {v}) + I_d) / C_d : volt
    f = 1/(1 + exp(-(V_d - E_d)/D_d)) : 1
    dw_s/dt = -w_s/tau_ws : 1
    dw_d/dt = (V_d - E_L - w_d)/tau_wd : volt
    dtheta/dt = (theta_0 - theta)/tau_theta : volt
    dg_sE/dt = -g_sE/tau_AMPA : siemens
    dg_sI/dt = -g_sI/tau_GABA : siemens
    dg_dE/dt = -g_dE/tau_AMPA : siemens
    dg_dI/dt = -g_dI/tau_GABA : siemens
    K : 1
    I_d : amp
    bap : integer
    """ + ("I_s : amp\n" if somatic_current_variable else "")


def build_network(args, b2):
    ms, mV, nS, pA, pF, Hz = b2.ms, b2.mV, b2.nS, b2.pA, b2.pF, b2.Hz
    n = args.neurons
    ns = dict(pyramidal_namespace(b2), **{
        "I_s": 560 * pA,
        "w_soma": 1.15625 * nS, "w_dend": 1.2142857 * nS,
        "bap_steps": 20,
        "I_dend": b2.TimedArray(I_STEPS_PA * pA, dt=STEP_MS * ms),
    })
    eqs = pyramidal_equations("V_d")
    P = b2.NeuronGroup(n, eqs, threshold="V_s > theta",
                       reset="V_s = V_reset; theta += Delta_theta; w_s += 1; bap = bap_steps",
                       method=args.method, name="pyramidal")
    P.V_s = -70 * mV
    P.V_d = -70 * mV
    P.theta = -50 * mV
    # Per step, before the state update: the bAP box of this step and the dendritic current at
    # the step's start (constant over the step, as apical's stimuli and bAP box).
    P.run_regularly("K = int(bap > 0)\nbap = bap - int(bap > 0)\nI_d = I_dend(t)",
                    when="before_groups", name="pyramidal_step_inputs")
    PE = b2.PoissonGroup(N_SRC, rates=5 * Hz, name="background_exc")
    PI = b2.PoissonGroup(N_SRC, rates=5 * Hz, name="background_inh")
    syn = []
    for name, src, target, w in (("soma_exc", PE, "g_sE", "w_soma"), ("soma_inh", PI, "g_sI", "w_soma"),
                                 ("dendrite_exc", PE, "g_dE", "w_dend"), ("dendrite_inh", PI, "g_dI", "w_dend")):
        S = b2.Synapses(src, P, on_pre=f"{target}_post += {w}", delay=0.8 * ms, name=name)
        S.connect(p=P_CONN)
        syn.append(S)
    mon = b2.SpikeMonitor(P, name="spikes_pyramidal")
    _STATE.update(args=args, monitor=mon, dt_s=float(b2.defaultclock.dt / b2.second))
    return {
        "namespace": ns,
        "monitors": {"pyramidal": (mon, n)},
        "n_synapses": lambda: sum(int(len(S)) for S in syn),
        "params": {"method": args.method, "neurons": n, "sources": 2 * N_SRC, "p": P_CONN,
                   "dendritic_driving_force": "V_d", "bAP": "restart, 20 steps from the step after the spike",
                   "dendritic_steps_pA": I_STEPS_PA},
        "objects": [P, PE, PI, mon] + syn,
    }


def extra_args(p):
    p.add_argument("--method", default="rk4", help="Brian state updater (default rk4; euler possible)")
    p.add_argument("--neurons", type=int, default=N_PYR, help=f"pyramidal cells (default {N_PYR}; the sources stay 2 x {N_SRC})")


# ---------------------------------------------------------------------------------------------
# analysis (also used by bench/run for apical's spikes)

def classify_trace(senders, times_ms, tau_ms=16.0):
    """apical's default spike classes (trace rule): 0 event, 1 burst (second spike of a burst),
    2 other. senders and times_ms are numpy arrays; returns an int8 array in their order."""
    import numpy as np
    order = np.lexsort((times_ms, senders))
    cls = np.empty(len(order), dtype=np.int8)
    thr = math.exp(-1.0)
    last_sender, x, t_last, in_burst = -1, 0.0, 0.0, False
    s_sorted = senders[order]
    t_sorted = times_ms[order]
    for k in range(len(order)):
        s, t = int(s_sorted[k]), float(t_sorted[k])
        if s != last_sender:
            last_sender, x, in_burst = s, 0.0, False
        else:
            x *= math.exp(-(t - t_last) / tau_ms)
        if x >= thr:
            c = 2 if in_burst else 1
            in_burst = True
        else:
            c, in_burst = 0, False
        cls[order[k]] = c
        x += 1.0
        t_last = t
    return cls


def transfer_table(times_ms, classes, n_neurons, t_stop_ms, step_ms=STEP_MS, currents=I_STEPS_PA):
    """Event rate, burst rate (Hz per neuron) and burst probability over the last half of each
    complete step within t_stop, as scripts/plot_transfer.py."""
    import numpy as np
    rows = []
    for k, i_d in enumerate(currents):
        t0, t1 = k * step_ms + step_ms / 2, (k + 1) * step_ms
        if t1 > t_stop_ms + 1e-9:
            break
        m = (times_ms >= t0) & (times_ms < t1)
        events = int(np.count_nonzero(classes[m] == 0))
        bursts = int(np.count_nonzero(classes[m] == 1))
        window_s = (t1 - t0) / 1000.0
        rows.append({"I_d_pA": i_d, "events": events, "bursts": bursts, "spikes": int(np.count_nonzero(m)),
                     "event_rate_hz": events / n_neurons / window_s,
                     "burst_rate_hz": bursts / n_neurons / window_s,
                     "spike_rate_hz": int(np.count_nonzero(m)) / n_neurons / window_s,
                     "burst_probability": bursts / events if events else None})
    return rows


def _analyse_after_run():
    import numpy as np
    args, mon = _STATE["args"], _STATE["monitor"]
    senders = np.asarray(mon.i[:], dtype=np.int64)
    times_ms = np.asarray(mon.t[:] / _ms(), dtype=np.float64) + _STATE["dt_s"] * 1000.0
    classes = classify_trace(senders, times_ms)
    rows = transfer_table(times_ms, classes, args.neurons, args.t_stop)
    print("I_d (pA)  ER (Hz)  BR (Hz)  BP     (last 0.5 s of each step)")
    for r in rows:
        bp = r["burst_probability"]
        print(f"{r['I_d_pA']:8.0f}  {r['event_rate_hz']:7.3f}  {r['burst_rate_hz']:7.3f}  "
              f"{'—' if bp is None else format(bp, '.4f')}")
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
        data["transfer"] = rows
        data["spike_classes"] = {"event": int(np.count_nonzero(classes == 0)),
                                 "burst": int(np.count_nonzero(classes == 1)),
                                 "other": int(np.count_nonzero(classes == 2))}
        with open(args.json, "w") as f:
            f.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _ms():
    import brian2
    return brian2.ms


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network, extra_args)
    _analyse_after_run()
