#!/usr/bin/env python3
"""models/brunel.yaml in Brian2 C++ standalone mode: Brunel (2000) with NEST's brunel_delta_nest
parameters. Run with the Python that has brian2 (Debian: /usr/bin/python3):

    /usr/bin/python3 bench/brian2_brunel.py --threads 1 --t-stop 1000 --json out.json

What is and is not the same as models/brunel.yaml:
- 10000 E + 2500 I leaky integrate-and-fire neurons, tau_m 20 ms, V_th 20 mV, V_reset = E_L = 0,
  t_ref 2 ms, V(0) = 0; exact integration; dt 0.1 ms.
- Delta synapses (v_post += J on arrival), J_E = 0.1 mV, J_I = -g J = -0.5 mV, delay 1.5 ms
  (homogeneous, so Brian uses a scalar delay). Input arriving while the target is refractory
  is discarded, as in NEST's iaf_psc_delta (refractory_input = false): membrane frozen by
  `(unless refractory)`, and every input is multiplied by int(not_refractory).
- Fixed in-degree: every neuron receives C_E = 1000 E and C_I = 250 I inputs, sources drawn
  uniformly with replacement (autapses and multapses allowed, as NEST's defaults), drawn here
  with numpy (seeded) and passed as index arrays. The arrays are sorted by source before
  S.connect so that Brian's synapses are laid out source-major like a native simulator's (the
  sort is part of the measured construction time; --unsorted keeps the drawn order).
- External drive: PoissonInput(N = C_E, rate = 20 Hz, weight = J), which is exactly a 20 kHz
  Poisson train of weight J per neuron (a binomial draw per step). NOTE: PoissonInput has no
  delay: it acts in the step it is drawn, where apical's/NEST's poisson_generator connection has
  delay 1.5 ms. For an unconnected, memoryless Poisson source the delay only shifts the input
  by 1.5 ms and does not change the statistics; it is also gated by int(not_refractory).
- Schedule: Brian applies synaptic input after the threshold test of the step it arrives in
  (NEST before), so its effective delay is one step (0.1 ms) longer; rates are not affected
  noticeably.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_common  # noqa: E402

N_E, N_I = 10000, 2500
C_E, C_I = 1000, 250


def fixed_indegree(rng, n_sources, n_targets, indegree, sort=True):
    """For each target, `indegree` sources uniformly with replacement. With sort, the pairs come
    source-major (stable: within a source the targets stay ascending), computed without a
    gather: the sorted sources are a repeat of each source by its count, and the target of
    the k-th pair of the stable order is order[k] // indegree."""
    import numpy as np
    i = rng.integers(0, n_sources, size=n_targets * indegree, dtype=np.int32)
    if not sort:
        return i, np.repeat(np.arange(n_targets, dtype=np.int32), indegree)
    key = i.astype(np.uint16) if n_sources <= 65536 else i  # 16-bit keys: numpy's radix sort
    order = key.argsort(kind="stable")
    i_sorted = np.repeat(np.arange(n_sources, dtype=np.int32), np.bincount(i, minlength=n_sources))
    j_sorted = (order // indegree).astype(np.int32)
    return i_sorted, j_sorted


def build_network(args, b2):
    import numpy as np
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    ns = {
        "tau_m": 20 * ms, "V_th": 20 * mV, "V_reset": 0 * mV, "E_L": 0 * mV,
        "J_E": 0.1 * mV, "J_I": -5 * 0.1 * mV,
    }
    eqs = "dv/dt = (E_L - v) / tau_m : volt (unless refractory)"
    P = b2.NeuronGroup(N_E + N_I, eqs, threshold="v >= V_th", reset="v = V_reset",
                       refractory=2 * ms, method="exact", name="neurons")
    P.v = 0 * mV
    E, I = P[:N_E], P[N_E:]

    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    sort = not args.unsorted
    iE, jE = fixed_indegree(rng, N_E, N_E + N_I, C_E, sort)   # EE and EI
    iI, jI = fixed_indegree(rng, N_I, N_E + N_I, C_I, sort)   # IE and II
    t_conn = time.perf_counter() - t0

    SE = b2.Synapses(E, P, on_pre="v_post += J_E * int(not_refractory_post)", delay=1.5 * ms,
                     name="syn_from_E")
    SE.connect(i=iE, j=jE)
    SI = b2.Synapses(I, P, on_pre="v_post += J_I * int(not_refractory_post)", delay=1.5 * ms,
                     name="syn_from_I")
    SI.connect(i=iI, j=jI)
    n_syn = int(iE.size + iI.size)

    # 20 kHz Poisson drive of weight J_E = C_E inputs at 20 Hz each (no delay, see above).
    drive = b2.PoissonInput(P, "v", N=C_E, rate=20 * Hz, weight="J_E * int(not_refractory)")

    monE = b2.SpikeMonitor(E, name="spikes_E")
    monI = b2.SpikeMonitor(I, name="spikes_I")
    return {
        "namespace": ns,
        "monitors": {"E": (monE, N_E), "I": (monI, N_I)},
        "n_synapses": lambda: n_syn,
        "params": {"connectivity_numpy_s": t_conn, "poisson_input": "PoissonInput N=1000 rate=20 Hz (no delay)",
                   "sorted_by_source": sort},
        "objects": [P, SE, SI, drive, monE, monI],
    }


def extra_args(p):
    p.add_argument("--unsorted", action="store_true",
                   help="connect in the drawn (target-major) order instead of sorting by source")


if __name__ == "__main__":
    brian2_common.main(__doc__.splitlines()[0], build_network, extra_args)
