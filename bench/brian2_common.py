"""Shared driver for the Brian2 C++ standalone peers of apical's benchmark (bench/brian2_*.py).

A model script builds its network with `build_network(args)` returning the objects a
`BenchRun` needs; `main(description, build_network)` does the rest:

  construct   the Python side: objects, connectivity arrays, initial values (wall clock)
  codegen     Brian's `run()` call (code objects are generated there in standalone mode) plus
              `device.build(compile=True, run=False)` less the time of `make`
  compile     `make` of the generated project (device.timers['compile']['make']); a no-op when
              the project directory already holds an up-to-date build of the same code
  setup       inside the binary: from the start of main() to just before Network::run
              (loading static arrays, creating synapses, preparing spike queues)
  simulate    Network::run, as the binary reports it in results/last_run_info.txt
              (device._last_run_time; wall clock via omp_get_wtime when OpenMP is on, which it
              always is here because openmp_threads >= 1); cross-checked with our own
              CLOCK_MONOTONIC timestamps around the call
  teardown    inside the binary: after Network::run to the end of main() (writing results)

build_s (what the harness compares with apical's build_s) = construct + codegen + setup;
compile time is reported separately and never counted as build or simulation time.
Peak RSS is the binary's VmHWM from /proc/self/status, read by the binary itself just before
it exits; resource.getrusage(RUSAGE_CHILDREN) is recorded as well (it also covers make and the
compiler when they ran).
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

# The timestamp/RSS probe compiled into main(): only <time.h>, <fstream> and <string> are
# needed, and the generated main.cpp includes all three.
_PROBE_START = r"""
auto _bench_now = []() { struct timespec _ts; clock_gettime(CLOCK_MONOTONIC, &_ts); return (double)_ts.tv_sec + 1e-9 * (double)_ts.tv_nsec; };
const double _bench_t_main = _bench_now();
double _bench_t_run0 = 0.0, _bench_t_run1 = 0.0;
"""
_PROBE_BEFORE_RUN = "_bench_t_run0 = _bench_now();"
_PROBE_AFTER_RUN = "_bench_t_run1 = _bench_now();"
_PROBE_END = r"""
{
    const double _bench_t_end = _bench_now();
    std::string _bench_hwm = "0";
    std::ifstream _bench_status("/proc/self/status");
    std::string _bench_line;
    while (std::getline(_bench_status, _bench_line))
        if (_bench_line.compare(0, 6, "VmHWM:") == 0) _bench_hwm = _bench_line.substr(6);
    std::ofstream _bench_out("results/bench_probe.txt");
    _bench_out.precision(17);
    _bench_out << "setup_s " << (_bench_t_run0 - _bench_t_main) << "\n"
               << "run_s " << (_bench_t_run1 - _bench_t_run0) << "\n"
               << "teardown_s " << (_bench_t_end - _bench_t_run1) << "\n"
               << "vmhwm_kib " << _bench_hwm << "\n";
}
"""


def parse_args(description, default_workdir):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=1, help="OpenMP threads of the standalone binary (>= 1)")
    p.add_argument("--t-stop", type=float, default=1000.0, help="biological time to simulate, ms")
    p.add_argument("--workdir", default=default_workdir,
                   help="Brian's standalone project directory; reused across runs so the compiled code is reused")
    p.add_argument("--json", default=None, help="write the measurements here (default: stdout only)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--clean", action="store_true", help="force a complete rebuild (make clean)")
    return p


def _read_probe(workdir):
    out = {}
    path = os.path.join(workdir, "results", "bench_probe.txt")
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                try:
                    out[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    return out


def _read_last_run_info(workdir):
    path = os.path.join(workdir, "results", "last_run_info.txt")
    with open(path) as f:
        run_time, fraction = f.read().split()
    return float(run_time), float(fraction)


def random_ei_network(b2, P, n_e, namespace, method, stdp_amplitude=None):
    """The Brette et al. (2007) benchmark wiring shared by brian2_coba.py and brian2_cuba.py:
    the first n_e neurons of group P are excitatory, the rest inhibitory; each source connects
    to every neuron with p = 0.02 (S.connect(p=0.02)), adding w_e to ge or w_i to gi after a
    delay of one step (0.1 ms); a SpikeMonitor per population. Returns build_network's dict.

    stdp_amplitude (not None): E->E separately, with pair STDP written as Brian's documented
    event-driven synapse equations (all-to-all traces with tau 20 ms, additive, A_plus =
    amplitude w_e, A_minus = -1.05 A_plus, weights clipped to [0, 2 w_e]): the peer of apical's
    `plasticity: {rule: stdp_pair}` on EE. Amplitude 0 makes every update add 0: the spikes of
    the static network with all of the rule's work (bench/plasticity_cost does the same)."""
    ms = b2.ms
    n = len(P)
    E, I = P[:n_e], P[n_e:]
    plastic = []
    if stdp_amplitude is None:
        SE = b2.Synapses(E, P, on_pre="ge_post += w_e", delay=0.1 * ms, name="syn_from_E")
        SE.connect(p=0.02)
    else:
        w_e = namespace["w_e"]
        namespace.update({"tau_plus": 20 * ms, "tau_minus": 20 * ms, "A_plus": stdp_amplitude * w_e,
                          "A_minus": -1.05 * stdp_amplitude * w_e, "w_max": 2 * w_e})
        SEE = b2.Synapses(E, E, """w : siemens
                                   dapre/dt = -apre / tau_plus : siemens (event-driven)
                                   dapost/dt = -apost / tau_minus : siemens (event-driven)""",
                          on_pre="""ge_post += w
                                    apre += A_plus
                                    w = clip(w + apost, 0*siemens, w_max)""",
                          on_post="""apost += A_minus
                                     w = clip(w + apre, 0*siemens, w_max)""",
                          delay=0.1 * ms, name="syn_EE")
        SEE.connect(p=0.02)
        SEE.w = "w_e"
        plastic.append(SEE)
        SE = b2.Synapses(E, I, on_pre="ge_post += w_e", delay=0.1 * ms, name="syn_from_E")
        SE.connect(p=0.02)
    SI = b2.Synapses(I, P, on_pre="gi_post += w_i", delay=0.1 * ms, name="syn_from_I")
    SI.connect(p=0.02)
    monE = b2.SpikeMonitor(E, name="spikes_E")
    monI = b2.SpikeMonitor(I, name="spikes_I")
    return {
        "namespace": namespace,
        "monitors": {"E": (monE, n_e), "I": (monI, n - n_e)},
        "n_synapses": lambda: int(len(SE)) + int(len(SI)) + sum(int(len(x)) for x in plastic),
        "params": {"method": method, "stdp_amplitude": stdp_amplitude},
        "objects": [P, SE, SI, monE, monI] + plastic,
    }


def main(description, build_network, extra_args=None):
    """build_network(args, b2) -> dict with keys
         objects: every Brian object to simulate (they go into an explicit Network)
         namespace: constants the model's strings refer to
         monitors: {pop_name: (SpikeMonitor, n_neurons)}
         n_synapses: callable returning the synapse count after the run
         params: dict of model facts to record
         results (optional): callable returning a dict of values read back after the run
                  (untimed, e.g. final weights), merged into the JSON
    It must only create objects and set initial values."""
    here = os.path.dirname(os.path.abspath(__file__))
    model = os.path.splitext(os.path.basename(sys.argv[0]))[0].replace("brian2_", "")
    parser = parse_args(description, os.path.join(here, "scratch", f"brian2_{model}"))
    if extra_args:
        extra_args(parser)
    args = parser.parse_args()
    if args.threads < 1:
        sys.exit("--threads must be >= 1 (0 would switch OpenMP off and make Brian time with CPU clock)")

    t_all0 = time.perf_counter()
    import brian2 as b2  # noqa: E402  (import time is not part of any measured phase)
    t_import = time.perf_counter() - t_all0

    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(args.seed)
    dev = b2.get_device()
    dev.insert_code("before_start", _PROBE_START)
    dev.insert_code("before_network_run", _PROBE_BEFORE_RUN)
    dev.insert_code("after_network_run", _PROBE_AFTER_RUN)
    dev.insert_code("after_end", _PROBE_END)

    t0 = time.perf_counter()
    net = build_network(args, b2)
    t1 = time.perf_counter()
    network = b2.Network(net["objects"])
    # standalone: generates the code objects, runs nothing yet
    network.run(args.t_stop * b2.ms, namespace=net.get("namespace", {}))
    t2 = time.perf_counter()
    dev.build(directory=workdir, compile=True, run=False, with_output=False, clean=args.clean)
    t3 = time.perf_counter()
    make_s = dev.timers["compile"]["make"] or 0.0
    clean_s = dev.timers["compile"]["clean"] or 0.0
    dev.run(workdir, False, [])  # with_output=False: the binary's stdout goes to results/stdout.txt
    t4 = time.perf_counter()
    run_binary_s = dev.timers["run_binary"]

    last_run_time, completed = _read_last_run_info(workdir)
    if getattr(dev, "_last_run_time", None) is not None:
        last_run_time = float(dev._last_run_time)  # the same file, parsed by Brian
    probe = _read_probe(workdir)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)

    construct_s = t1 - t0
    codegen_s = (t2 - t1) + max(0.0, (t3 - t2) - make_s - clean_s)
    setup_s = probe.get("setup_s")
    t_stop_s = args.t_stop / 1000.0
    rates = {}
    n_spikes = {}
    for pop, (mon, n) in net["monitors"].items():
        k = int(mon.num_spikes)
        n_spikes[pop] = k
        rates[pop] = k / (n * t_stop_s) if t_stop_s > 0 else 0.0
    t5 = time.perf_counter()

    result = {
        "simulator": "brian2",
        "brian2_version": b2.__version__,
        "mode": "cpp_standalone",
        "model": model,
        "threads": args.threads,
        "t_stop_ms": args.t_stop,
        "dt_ms": 0.1,
        "seed": args.seed,
        # Relative to the repository when inside it: results files hold no machine paths.
        "workdir": os.path.relpath(workdir, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if os.path.abspath(workdir).startswith(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)
        else workdir,
        "construct_s": construct_s,
        "codegen_s": codegen_s,
        "compile_s": make_s + clean_s,
        "setup_s": setup_s,
        # build_s excludes compilation; None if the probe did not report the binary's setup
        "build_s": (construct_s + codegen_s + setup_s) if setup_s is not None else None,
        "simulate_s": last_run_time,
        "simulate_probe_s": probe.get("run_s"),
        "teardown_s": probe.get("teardown_s"),
        "run_binary_s": run_binary_s,
        "completed_fraction": completed,
        "peak_rss_bytes": int(probe["vmhwm_kib"] * 1024) if probe.get("vmhwm_kib") else None,
        "children_maxrss_bytes": int(ru.ru_maxrss) * 1024,
        "n_synapses": int(net["n_synapses"]()),
        "n_neurons": {pop: n for pop, (mon, n) in net["monitors"].items()},
        "n_spikes": n_spikes,
        "rates_hz": rates,
        "params": net.get("params", {}),
        "import_s": t_import,
        "readback_s": t5 - t4,
        "wall_s": time.perf_counter() - t_all0,
        "python": platform.python_version(),
    }
    if net.get("results"):
        result.update(net["results"]())
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
