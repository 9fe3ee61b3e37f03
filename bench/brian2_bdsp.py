#!/usr/bin/env python3
"""models/bdsp_population.yaml in Brian2 C++ standalone mode: burst-dependent synaptic plasticity
(BDSP, docs/models.md 13) from 1000 presynaptic onto 1000 postsynaptic burst_pyramidal cells, for
bench/bdsp. Run with the Python that has brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_bdsp.py --threads 1 --t-stop 2000 --json out.json

The network (sizes, parameters, weights in nS as the model file):
- pre, post: 1000 burst_pyramidal cells each, the equations and forward Euler of
  bench/brian2_burst_multiplexing.py (the model file's reference_step_order: auryn,
  dendritic_driving_force: soma), bAP box 2 ms, w_d from 0.1 mV; pre V_s ~ N(-70, 5) mV, post
  V_s = E_L. Dendritic currents: post 50 pA; pre 40 pA from 145 s.
- Background of pre: PoissonInput(N = 100 or 30, 5 Hz) per cell and receptor (soma/dendrite,
  exc/inh): binomial counts of mean 500 or 150 Hz dt per step, the model file's Poisson counts
  (apical's poisson_generator) up to O(p^2), and the authors' in-degree of 5 Hz sources.
- Drive of post: one PoissonGroup(100, 1 Hz), connect(p=0.2) onto the dendrite, weight d(t) from
  a TimedArray of the phases (d0 to 45 s, 1.5 d0 to 70 s, d0 to 95 s, 0.55 d0 to 120 s, d0 on):
  the authors' one set of sources with a changing weight; apical's file draws a new set of
  100 sources per phase (same statistics; Brian has 80,000 fewer, idle, synapses).
- learned: pre -> post soma exc, connect(p=0.2), w0 1.85 nS, transmitting events only.
  Its pathways run on Brian custom events raised in the step after a spike (the classes are
  set in the reset, after that step's pathways): `pre_event` by a presynaptic event,
  `post_update` by a postsynaptic event or burst spike (a nonzero factor), so that the other
  spikes cost no pass over the synapses, as in apical; pathway delay 0 from there, i.e. a spike
  reaches the synapses one step after it (the model file's delay: 0.1 ms).

BDSP, mirroring plasticity/bdsp.hpp and plastic_synapses.hpp (spike_classification trace, 16 ms):
- Spike classes (engine/spike_classifier.hpp) in the reset of both groups, from the step of the
  last spike s_last and the classifier trace x just after it: x_before = x exp(-D/W) with D the
  steps since, W = 160 steps; the spike continues a burst iff x_before >= 1/e (exact at the ISI
  boundary D = W as apical's: D/W is exactly 1.0); x = x_before + 1. A spike that does not is an
  event (is_event, clears in_burst); the first that does is the burst spike (is_burst).
- Per postsynaptic cell, lazily decayed at its spikes as apical's traces: E_tr, B_tr
  (tau_avg 5 s; Ebar = E_tr/tau_avg), R_tr (tau_rate 30 s from 0.1 Hz: the spike rate of the
  homeostasis, homeostasis_rate: spike_rate). At an event, P = B_tr/E_tr before it (0/0 and
  x/0 give -1 as apical's), v = -min(P, 1), post_factor = eta (v + H), then E_tr += 1; at the
  burst spike B_tr += 1, post_factor = eta (1 + H); other spikes 0. H = -(Ebar - e_max)/Ebar
  above e_max = 12 Hz.
- Per synapse (Brian's documented event-driven form): the presynaptic event trace
  dEtilde/dt = -Etilde/tau_pre (event-driven), +1 per presynaptic event after its updates.
  on_pre: transmit, then w += eta G (G = e_min - r_post below e_min = 2 Hz, r_post the decayed
  R_tr/tau_rate), clipped; on_post: w += post_factor_post Etilde, clipped to [0, 23.125] nS.
  Conditions inside the code are products with 0/1 flags (Brian's abstract code has no
  branches).
- Timing: apical's synapse sees a presynaptic spike at its step and a postsynaptic one a step
  later (delay 0.1 ms, dendritic); here both come one step after their spike, and presynaptic
  before postsynaptic at the same step (Brian's pathway order, the authors' order). The shift
  of one step between the two sides is immaterial beside tau_pre = 100 ms.
- --learn-from MS: weight updates only from then on (the model file's burn-in is 20000);
  default 0 here and in bench/bdsp, so that short runs do the rule's work. The class flags,
  traces and averages follow the spikes from t = 0, as apical's. --static: the learned
  projection static (events only), for the cost of the rule.
Event and burst counts per cell (n_events, n_bursts) give the JSON's rates; apical's come from
its files (bench/bdsp).
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402
from brian2_dendritic_transfer import pyramidal_equations, pyramidal_namespace  # noqa: E402

N_CELLS = 1000
P_LEARNED = 0.2
N_DRIVE, P_DRIVE = 100, 0.2
D0_NS = 6.0714286
# (phase end s, weight nS): the schedule of models/bdsp_population.yaml; the last one runs on.
DRIVE_PHASES = [(45, D0_NS), (70, 9.1071429), (95, D0_NS), (120, 3.3392857), (170, D0_NS)]
PHASE_GRID_S = 5.0  # every phase boundary is a multiple of it

# The spike classifier of both groups (state, then the reset's statements).
CLASSIFIER_VARS = """
s_last : integer
x_cls : 1
in_burst : integer
is_event : integer
is_burst : integer
n_events : integer
n_bursts : integer
"""
CLASSIFY = """
x_before = x_cls*exp(-(t_in_timesteps - s_last)/W_b)
cont = int(x_before >= e_inv)
is_event = 1 - cont
is_burst = cont*(1 - in_burst)
in_burst = cont
x_cls = x_before + 1
n_events += is_event
n_bursts += is_burst
"""
# BDSP's state per postsynaptic cell.
BDSP_POST_VARS = """
E_tr : 1
B_tr : 1
R_tr : 1
post_factor : siemens
"""
# After CLASSIFY (s_last still the previous spike's step). E_tr == 0 takes the branches of
# apical's NaN/inf comparisons without dividing by 0.
BDSP_POST = """
since = (t_in_timesteps - s_last)*dt
E_tr = E_tr*exp(-since/tau_avg)
B_tr = B_tr*exp(-since/tau_avg)
R_tr = R_tr*exp(-since/tau_rate) + 1
H = -int(E_tr > EM)*(E_tr - EM)/(E_tr + int(E_tr <= EM))
v = -clip(B_tr/(E_tr + int(E_tr == 0)) + int(E_tr == 0), 0, 1)
post_factor = eta*(is_event*(v + H) + is_burst*(1 + H))
E_tr += is_event
B_tr += is_burst
"""
RESET = "V_s = V_reset; theta += Delta_theta; w_s += 1; bap = bap_steps"


def build_network(args, b2):
    ms, mV, nS, pA, Hz, second = b2.ms, b2.mV, b2.nS, b2.pA, b2.Hz, b2.second
    dt = b2.defaultclock.dt
    drive, start = [], 0
    for end, w in DRIVE_PHASES:
        drive += [w] * round((end - start) / PHASE_GRID_S)
        start = end
    ns = dict(pyramidal_namespace(b2), I_s=0 * pA, bap_steps=20,
              W_b=float(round(16 * ms / dt)), e_inv=math.exp(-1.0),  # window in whole steps, as apical's
              eta=0.0809375 * nS, tau_pre=100 * ms, tau_avg=5 * second, tau_rate=30 * second,
              w_min=0 * nS, w_max=23.125 * nS, e_min=2 * Hz, EM=12 * 5.0,  # e_max tau_avg: H's bound on E_tr
              w_learned=1.85 * nS, t_learn=args.learn_from * ms,
              t_pre_current=145 * second, drive_weight=b2.TimedArray(drive * nS, dt=PHASE_GRID_S * second))
    base = pyramidal_equations("V_s") + CLASSIFIER_VARS
    # s_last moves to this spike last: BDSP_POST decays the averages from the previous one.
    # The custom events fire in the step after a spike with the class of that spike (their
    # flags are 0 initially, so s_last's initial 0 raises nothing at step 1).
    after_spike = "s_last == t_in_timesteps - 1"
    pre = b2.NeuronGroup(N_CELLS, base, threshold="V_s > theta", reset=RESET + CLASSIFY + "s_last = t_in_timesteps",
                         events={"pre_event": f"is_event == 1 and {after_spike}"}, method="euler", name="pre")
    post = b2.NeuronGroup(N_CELLS, base + BDSP_POST_VARS, threshold="V_s > theta",
                          reset=RESET + CLASSIFY + BDSP_POST + "s_last = t_in_timesteps",
                          events={"post_update": f"post_factor != 0*nS and {after_spike}"},
                          method="euler", name="post")
    for G in (pre, post):
        G.V_d = -70 * mV
        G.theta = -50 * mV
        G.w_d = 0.1 * mV
    pre.V_s = "-70*mV + 5*mV*randn()"
    post.V_s = -70 * mV
    post.R_tr = 0.1 * 30.0  # initial_rate 0.1 Hz times tau_rate 30 s
    # K (the bAP box) and the dendritic currents once per step, before the update.
    pre.run_regularly("K = int(bap > 0)\nbap = bap - int(bap > 0)\nI_d = 40*pA*int(t >= t_pre_current)",
                      when="before_groups", name="pre_step_inputs")
    post.run_regularly("K = int(bap > 0)\nbap = bap - int(bap > 0)\nI_d = 50*pA",
                       when="before_groups", name="post_step_inputs")

    background = [b2.PoissonInput(pre, var, N=n, rate=5 * Hz, weight=w * nS)
                  for var, n, w in (("g_sE", 100, 3.93125), ("g_sI", 30, 6.0125),
                                    ("g_dE", 100, 1.0321429), ("g_dI", 30, 1.5785714))]
    drive_src = b2.PoissonGroup(N_DRIVE, rates=1 * Hz, name="drive")
    drive_syn = b2.Synapses(drive_src, post, on_pre="g_dE_post += drive_weight(t)", delay=dt, name="drive_syn")
    drive_syn.connect(p=P_DRIVE)

    if args.static:
        learned = b2.Synapses(pre, post, on_pre="g_sE_post += w_learned", on_event={"pre": "pre_event"},
                              delay=0 * ms, name="learned")
    else:
        learned = b2.Synapses(
            pre, post,
            model="""w : siemens
                     dEtilde/dt = -Etilde/tau_pre : 1 (event-driven)""",
            on_pre="""g_sE_post += w
                      r = R_tr_post*exp(-(t_in_timesteps - s_last_post)*dt/tau_rate)/tau_rate
                      w = clip(w + int(t >= t_learn)*int(r < e_min)*eta*(e_min - r)/Hz, w_min, w_max)
                      Etilde += 1""",
            on_post="w = clip(w + int(t >= t_learn)*post_factor_post*Etilde, w_min, w_max)",
            on_event={"pre": "pre_event", "post": "post_update"},
            delay={"pre": 0 * ms, "post": 0 * ms},  # scalar: one spike queue without per-synapse delays
            name="learned")
    learned.connect(p=P_LEARNED)
    if not args.static:
        learned.w = ns["w_learned"]

    mon_pre = b2.SpikeMonitor(pre, record=False, name="spikes_pre")  # counts; apical records post only
    mon_post = b2.SpikeMonitor(post, name="spikes_post")

    def results():
        import numpy as np
        t_s = args.t_stop / 1000.0
        out = {"n_learned_synapses": int(len(learned))}
        if not args.static:
            out["mean_weight_end_nS"] = float(np.mean(learned.w[:] / nS))  # from 1.85
        for name, G in (("pre", pre), ("post", post)):
            ev, bu = int(np.sum(G.n_events[:])), int(np.sum(G.n_bursts[:]))
            out[f"event_rate_hz_{name}"] = ev / (N_CELLS * t_s)
            out[f"burst_rate_hz_{name}"] = bu / (N_CELLS * t_s)
            out[f"burst_probability_{name}"] = bu / ev if ev else None
        return out

    return {
        "namespace": ns,
        "monitors": {"pre": (mon_pre, N_CELLS), "post": (mon_post, N_CELLS)},
        "n_synapses": lambda: int(len(learned)) + int(len(drive_syn)),
        "params": {"method": "euler", "dendritic_driving_force": "V_s", "static": args.static,
                   "learn_from_ms": args.learn_from, "pre_trace": "per synapse, event-driven",
                   "classification": "trace, 16 ms"},
        "results": results,
        "objects": [pre, post, drive_src, drive_syn, learned, mon_pre, mon_post] + background,
    }


def extra_args(p):
    p.add_argument("--static", action="store_true", help="learned projection without plasticity (events only)")
    p.add_argument("--learn-from", type=float, default=0.0,
                   help="weights change from this time on, ms (the model file's burn-in: 20000)")


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network, extra_args)
