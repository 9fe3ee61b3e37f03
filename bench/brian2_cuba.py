#!/usr/bin/env python3
"""models/cuba.yaml in Brian2 C++ standalone mode: the CUBA benchmark (Brette et al. 2007,
benchmark 2) as Brian2's own CUBA example (examples/CUBA.py). Run with the Python that has
brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_cuba.py --threads 1 --t-stop 1000 --json out.json

- 3200 E + 800 I neurons, tau_m dv/dt = (ge + gi - (v - E_L)) (unless refractory), ge and gi
  in volts decaying with 5 ms (E) and 10 ms (I); tau_m 20 ms, E_L -49 mV, V_th -50 mV
  (threshold v > V_th), V_reset -60 mV, refractory 5 ms. Method 'exact' (as the example);
  dt 0.1 ms.
- S.connect(p=0.02) for the E and the I projections (onto all 4000 neurons, i.e. EE+EI and
  IE+II), drawn by the binary with Brian's seeded generator; on_pre ge += 1.62 mV
  (60 x 0.27 / 10 mV) / gi += -9 mV (-20 x 4.5 / 10 mV); homogeneous delay 0.1 ms (one step,
  apical's minimum; the example has none).
- Initial v uniform in [V_reset, V_th], drawn in the binary; ge = gi = 0. No external input.
models/cuba.yaml has the same network as iaf_psc_exp with currents (C_m / tau_m) ge in pA.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402

N_E, N_I = 3200, 800


def build_network(args, b2):
    ms, mV = b2.ms, b2.mV
    ns = {
        "tau_m": 20 * ms, "E_L": -49 * mV, "V_th": -50 * mV, "V_reset": -60 * mV,
        "tau_e": 5 * ms, "tau_i": 10 * ms,
        "w_e": 60 * 0.27 / 10 * mV, "w_i": -20 * 4.5 / 10 * mV,
    }
    eqs = """
    dv/dt = (ge + gi - (v - E_L)) / tau_m : volt (unless refractory)
    dge/dt = -ge / tau_e : volt
    dgi/dt = -gi / tau_i : volt
    """
    P = b2.NeuronGroup(N_E + N_I, eqs, threshold="v > V_th", reset="v = V_reset",
                       refractory=5 * ms, method=args.method, name="neurons")
    P.v = "-60*mV + rand() * 10*mV"  # V_reset + rand() (V_th - V_reset); the run namespace is not known here
    P.ge = 0 * mV
    P.gi = 0 * mV
    return brian2_common.random_ei_network(b2, P, N_E, ns, args.method)


def extra_args(p):
    p.add_argument("--method", default="exact", help="Brian state updater (default exact, as Brian's CUBA example)")


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network, extra_args)
