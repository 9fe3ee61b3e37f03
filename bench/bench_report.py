"""bench/run's summaries: medians per model, thread count and simulator, the ratios of
apical to Brian2, the targets, the markdown table and what machine and commit ran it."""

import os
import platform
import statistics
import subprocess
from pathlib import Path

import h5py

REPO = Path(__file__).resolve().parent.parent

# Targets, checked at every thread count.
TARGET_SIM_RATIO = {"brunel": 0.25, "coba": 0.5, "cuba": 0.5}  # apical simulate_s / Brian2 simulate_s, at most
TARGET_BYTES_PER_SYNAPSE = 8.0                    # apical synapse_bytes / n_synapses, at most
TARGET_BUILD_S = {"brunel": 2.0}                  # apical build_s, under

def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarise(runs, models, threads_list, t_stop):
    summary = []
    for model in models:
        for threads in threads_list:
            for sim in ("apical", "brian2"):
                timed = [r for r in runs if r["simulator"] == sim and r["model"] == model
                         and r["threads"] == threads and r["tag"].startswith("rep")]
                ok = [r for r in timed if r.get("ok")]
                warm = [r for r in runs if r["simulator"] == sim and r["model"] == model
                        and r["threads"] == threads and r["tag"].startswith("warmup")]
                if not timed and not warm:
                    continue
                s = {"simulator": sim, "model": model, "threads": threads, "runs": len(timed), "ok_runs": len(ok)}
                for k in ("build_s", "simulate_s", "peak_rss_bytes", "n_synapses", "wall_s"):
                    s[k] = median_of(ok, k)
                for k in ("build_s", "simulate_s"):  # spread, to judge the medians by
                    vals = [r[k] for r in ok if r.get(k) is not None]
                    s[f"{k}_min"] = min(vals) if vals else None
                    s[f"{k}_max"] = max(vals) if vals else None
                s["max_loadavg_before"] = max((r["loadavg_before"] for r in timed), default=None)
                s["max_busy_cores_before"] = max((r["busy_cores_before"] for r in timed
                                                  if r.get("busy_cores_before") is not None), default=None)
                rtf = [r["simulate_s"] / (r["simulated_ms"] / 1000.0) for r in ok
                       if r.get("simulate_s") is not None and r.get("simulated_ms")]
                s["real_time_factor"] = statistics.median(rtf) if rtf else None
                s["peak_rss_mib"] = s["peak_rss_bytes"] / 2**20 if s["peak_rss_bytes"] is not None else None
                bps = [r["synapse_bytes"] / r["n_synapses"] for r in ok
                       if r.get("synapse_bytes") is not None and r.get("n_synapses")]
                s["bytes_per_synapse"] = statistics.median(bps) if bps else None
                pops = []
                for r in ok:
                    pops += [p for p in r.get("rates_hz", {}) if p not in pops]
                s["rates_hz"] = {}
                for pop in pops:
                    vals = [r["rates_hz"][pop] for r in ok if r.get("rates_hz", {}).get(pop) is not None]
                    s["rates_hz"][pop] = statistics.median(vals) if vals else None
                for pop in ("E", "I"):
                    s[f"rate_{pop}_hz"] = s["rates_hz"].get(pop)
                if any(r.get("transfer") for r in ok):  # per current step, median over the runs
                    steps = {}
                    for r in ok:
                        for row in r.get("transfer") or []:
                            steps.setdefault(row["I_d_pA"], []).append(row)
                    s["transfer"] = []
                    for i_d in sorted(steps):
                        rows = steps[i_d]
                        med = {"I_d_pA": i_d, "runs": len(rows)}
                        for k in ("event_rate_hz", "burst_rate_hz", "spike_rate_hz", "burst_probability"):
                            vals = [x[k] for x in rows if x.get(k) is not None]
                            med[k] = statistics.median(vals) if vals else None
                        med["events"] = statistics.median([x["events"] for x in rows])
                        s["transfer"].append(med)
                    agree = [r["spike_class_agreement"] for r in ok if r.get("spike_class_agreement") is not None]
                    if agree:
                        s["spike_class_agreement_min"] = min(agree)
                if sim == "brian2":
                    for k in ("construct_s", "codegen_s", "setup_s", "teardown_s", "compile_s"):
                        s[k] = median_of(ok, k)
                    # the compile of the first (warm-up) run; timed runs reuse the build
                    s["first_compile_s"] = max((r.get("compile_s") or 0.0 for r in warm + ok), default=None)
                s["errors"] = sorted({r["error"] for r in timed + warm if not r.get("ok") and r.get("error")})
                summary.append(s)
    ratios = []
    for model in models:
        for threads in threads_list:
            a = next((s for s in summary if s["simulator"] == "apical" and s["model"] == model
                      and s["threads"] == threads), None)
            b = next((s for s in summary if s["simulator"] == "brian2" and s["model"] == model
                      and s["threads"] == threads), None)
            r = {"model": model, "threads": threads}
            for k in ("simulate_s", "build_s"):
                av = a.get(k) if a else None
                bv = b.get(k) if b else None
                r[f"{k}_ratio"] = av / bv if av is not None and bv else None
            if a and b and a.get("transfer") and b.get("transfer"):
                bt = {row["I_d_pA"]: row for row in b["transfer"]}
                r["transfer"] = []
                for ra in a["transfer"]:
                    rb = bt.get(ra["I_d_pA"])
                    if rb is None:
                        continue
                    er_a, er_b = ra["event_rate_hz"], rb["event_rate_hz"]
                    bp_a, bp_b = ra["burst_probability"], rb["burst_probability"]
                    r["transfer"].append({
                        "I_d_pA": ra["I_d_pA"], "event_rate_apical_hz": er_a, "event_rate_brian2_hz": er_b,
                        "event_rate_ratio": er_a / er_b if er_a is not None and er_b else None,
                        "burst_probability_apical": bp_a, "burst_probability_brian2": bp_b,
                        "burst_probability_difference": bp_a - bp_b if bp_a is not None and bp_b is not None else None,
                        "spike_rate_apical_hz": ra["spike_rate_hz"], "spike_rate_brian2_hz": rb["spike_rate_hz"]})
            ratios.append(r)
    return summary, ratios


def check_targets(summary, ratios, models, threads_list):
    out = []

    def status(value, limit, strict=False):
        if value is None:
            return "n/a"
        return "met" if (value < limit if strict else value <= limit) else "NOT met"

    for model in models:
        for threads in threads_list:
            r = next(x for x in ratios if x["model"] == model and x["threads"] == threads)
            a = next((s for s in summary if s["simulator"] == "apical" and s["model"] == model
                      and s["threads"] == threads), None)
            if model in TARGET_SIM_RATIO:
                v = r["simulate_s_ratio"]
                out.append({"target": f"{model} simulation time <= {TARGET_SIM_RATIO[model]}x Brian2",
                            "model": model, "threads": threads, "value": v,
                            "status": status(v, TARGET_SIM_RATIO[model])})
            v = a.get("bytes_per_synapse") if a else None
            out.append({"target": f"{model} bytes per synapse <= {TARGET_BYTES_PER_SYNAPSE:g}",
                        "model": model, "threads": threads, "value": v,
                        "status": status(v, TARGET_BYTES_PER_SYNAPSE)})
            if model in TARGET_BUILD_S:
                v = a.get("build_s") if a else None
                out.append({"target": f"{model} network construction < {TARGET_BUILD_S[model]:g} s",
                            "model": model, "threads": threads, "value": v,
                            "status": status(v, TARGET_BUILD_S[model], strict=True)})
    return out


def fmt(v, spec=".3g", none="—"):
    if v is None:
        return none
    if isinstance(v, str):
        return v
    return format(v, spec)


def rates_text(s):
    rates = s.get("rates_hz")
    if rates is None:  # a summary from before rates_hz: E and I only
        rates = {p: s.get(f"rate_{p}_hz") for p in ("E", "I") if s.get(f"rate_{p}_hz") is not None}
    return ", ".join(f"{p} {fmt(v, '.2f')}" for p, v in rates.items()) or "—"


def markdown(summary, ratios, targets, meta):
    m = meta
    neurons = f", --neurons {m['neurons']}" if m.get("neurons") else ""
    lines = [
        f"Benchmark {m['date_utc']}: {m['t_stop_ms']:g} ms of biological time{neurons}, dt 0.1 ms, medians of "
        f"{m['repeats']} runs after {m['warmup']} warm-up run(s); {m['machine']['cpu_model']}, "
        f"{m['machine']['nproc']} cores; apical {m.get('apical_version') or '—'} "
        f"({m['git']['commit'][:10]}{' dirty' if m['git']['dirty'] else ''}), "
        f"Brian2 {m.get('brian2_version') or '—'} C++ standalone.",
        "",
        "| model | threads | simulator | build s | simulate s (min–max) | real-time factor | peak RSS MiB "
        "| synapses | bytes/synapse | rates Hz | runs ok | other load |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for s in summary:
        bps = fmt(s["bytes_per_synapse"], ".2f") if s["simulator"] == "apical" else "n/a"
        build = fmt(s["build_s"], ".3g")
        if s["simulator"] == "brian2" and (s.get("first_compile_s") or 0) >= 1.0:
            build += f" (+{s['first_compile_s']:.0f} compile)"
        sim = fmt(s["simulate_s"], ".3g")
        if s["ok_runs"] > 1 and s["simulate_s_min"] is not None:
            sim += f" ({s['simulate_s_min']:.3g}–{s['simulate_s_max']:.3g})"
        lines.append(
            f"| {s['model']} | {s['threads']} | {s['simulator']} | {build} | {sim} "
            f"| {fmt(s['real_time_factor'], '.3g')} | {fmt(s['peak_rss_mib'], '.0f')} "
            f"| {fmt(s['n_synapses'], ',.0f')} | {bps} | {rates_text(s)} "
            f"| {s['ok_runs']}/{s['runs']} | {fmt(s['max_busy_cores_before'], '.2f')} |")
    lines += ["", "| model | threads | simulate apical/Brian2 | build apical/Brian2 |", "|---|---:|---:|---:|"]
    for r in ratios:
        lines.append(f"| {r['model']} | {r['threads']} | {fmt(r['simulate_s_ratio'], '.3f')} "
                     f"| {fmt(r['build_s_ratio'], '.3f')} |")
    for r in ratios:
        if not r.get("transfer"):
            continue
        lines += ["", f"{r['model']}, {r['threads']} thread(s): per dendritic current step, last 0.5 s of the "
                  "step, spike classes by the trace rule (16 ms); ER event rate, BP burst probability",
                  "", "| I_d pA | ER apical Hz | ER Brian2 Hz | ER apical/Brian2 | BP apical | BP Brian2 "
                  "| BP apical−Brian2 | spikes apical Hz | spikes Brian2 Hz |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for t in r["transfer"]:
            lines.append(f"| {t['I_d_pA']:g} | {fmt(t['event_rate_apical_hz'], '.3f')} "
                         f"| {fmt(t['event_rate_brian2_hz'], '.3f')} | {fmt(t['event_rate_ratio'], '.3f')} "
                         f"| {fmt(t['burst_probability_apical'], '.4f')} | {fmt(t['burst_probability_brian2'], '.4f')} "
                         f"| {fmt(t['burst_probability_difference'], '+.4f')} "
                         f"| {fmt(t['spike_rate_apical_hz'], '.3f')} | {fmt(t['spike_rate_brian2_hz'], '.3f')} |")
    lines += ["", "| target | threads | value | status |", "|---|---:|---:|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {t['threads']} | {fmt(t['value'], '.3g')} | {t['status']} |")
    errors = [(s["simulator"], s["model"], s["threads"], e) for s in summary for e in s["errors"]]
    notes = list(m.get("notes", []))
    if errors:
        notes += [f"{sim} {model} {t} thread(s) failed: {e.splitlines()[0][:200]}" for sim, model, t, e in errors]
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# machine description

def _cmd_output(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info():
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "nproc": int(_cmd_output(["nproc"]) or os.cpu_count() or 0),
        "cpu_model": cpu,
        "mem_total": mem,
        "kernel": platform.release(),
        "os": _cmd_output(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": platform.python_version(),
        "gxx": _cmd_output(["g++", "--version"]).splitlines()[0] if _cmd_output(["g++", "--version"]) else "",
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
    }


def git_info():
    # --no-optional-locks: a benchmark only reads the repository; a plain `git status` may
    # rewrite .git/index, under a commit being made beside it.
    return {"commit": _cmd_output(["git", "rev-parse", "HEAD"]) or "unknown",
            "dirty": bool(_cmd_output(["git", "--no-optional-locks", "status", "--porcelain",
                                       "--untracked-files=no"]))}
