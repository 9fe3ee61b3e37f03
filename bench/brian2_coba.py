#!/usr/bin/env python3
"""models/coba.yaml in Brian2 C++ standalone mode: the Vogels-Abbott COBA benchmark (Brette et al.
2007, benchmark 1) in the convention of Brian's own benchmark script. Run with the Python that
has brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_coba.py --threads 1 --t-stop 1000 --json out.json

- 3200 E + 800 I neurons, C_m dv/dt = g_L (E_L - v) + ge (E_ex - v) + gi (E_in - v) with
  exponentially decaying conductances (tau 5 ms E, 10 ms I), C_m 200 pF, g_L 10 nS,
  E_L = V_reset = -60 mV, V_th -50 mV, E_ex 0 mV, E_in -80 mV, refractory 5 ms with the
  membrane frozen `(unless refractory)` (conductances keep evolving and receiving input, as in
  NEST's iaf_cond_exp).
- Forward Euler, as in Brian's COBA benchmark (--method exponential_euler is also possible);
  dt 0.1 ms.
- S.connect(p=0.02) for the E and the I projections (onto all 4000 neurons, i.e. EE+EI and
  IE+II), drawn by the binary with Brian's seeded generator; on_pre ge += 6 nS / gi += 67 nS;
  homogeneous delay 0.1 ms (one step).
- Initial values as in coba.yaml, drawn in the binary: v ~ N(-65, 5) mV, ge ~ N(40, 15) nS,
  gi ~ N(200, 120) nS (not clipped). No external input.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402

N_E, N_I = 3200, 800


def build_network(args, b2):
    ms, mV, nS, pF = b2.ms, b2.mV, b2.nS, b2.pF
    ns = {
        "C_m": 200 * pF, "g_L": 10 * nS, "E_L": -60 * mV, "V_th": -50 * mV, "V_reset": -60 * mV,
        "E_ex": 0 * mV, "E_in": -80 * mV, "tau_e": 5 * ms, "tau_i": 10 * ms,
        "w_e": 6 * nS, "w_i": 67 * nS,
    }
    eqs = """
    dv/dt = (g_L * (E_L - v) + ge * (E_ex - v) + gi * (E_in - v)) / C_m : volt (unless refractory)
    dge/dt = -ge / tau_e : siemens
    dgi/dt = -gi / tau_i : siemens
    """
    P = b2.NeuronGroup(N_E + N_I, eqs, threshold="v > V_th", reset="v = V_reset",
                       refractory=5 * ms, method=args.method, name="neurons")
    P.v = "-65*mV + 5*mV*randn()"
    P.ge = "40*nS + 15*nS*randn()"
    P.gi = "200*nS + 120*nS*randn()"
    return brian2_common.random_ei_network(b2, P, N_E, ns, args.method,
                                           args.stdp_amplitude if args.stdp else None)


def extra_args(p):
    p.add_argument("--method", default="euler", help="Brian state updater (default euler)")
    p.add_argument("--stdp", action="store_true", help="E->E with pair STDP (brian2_common.random_ei_network)")
    p.add_argument("--stdp-amplitude", type=float, default=0.0,
                   help="A_plus in units of w_e (default 0: the static network's spikes)")


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network, extra_args)
