#include "io/run_metadata.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "io/population_rate_writer.hpp"

namespace apical {

namespace {

// Resident memory now (not the peak): before anything is built, the process's baseline
// (libraries, MPI, HDF5), which construction memory is measured from.
std::uint64_t current_rss_bytes() {
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return std::uint64_t(resident) * std::uint64_t(sysconf(_SC_PAGESIZE));
}

std::uint64_t max_over_ranks(DistributedContext& ctx, std::uint64_t x) { return std::uint64_t(ctx.max(double(x))); }

}  // namespace

Checkpoint Checkpoint::now() { return {std::chrono::steady_clock::now(), current_rss_bytes()}; }

double Checkpoint::seconds_since() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - time).count();
}

// The process's own peak: VmHWM of /proc/self/status. getrusage's ru_maxrss is not: Linux keeps
// it across execve, so a run started from a larger process (a Python driver) reported that
// process's peak. getrusage only where /proc is missing.
std::uint64_t peak_rss_bytes() {
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        unsigned long long kib = 0;
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "VmHWM: %llu kB", &kib) == 1;
        std::fclose(f);
        if (found) return std::uint64_t(kib) * 1024;
    }
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return std::uint64_t(u.ru_maxrss) * 1024;
}

RunMetadata start_metadata(const Simulation& sim, DistributedContext& ctx, const Checkpoint& before_build) {
    const Network& net = sim.network();
    const NetworkSpec& spec = sim.spec();
    RunMetadata meta;
    meta.build_s = ctx.max(before_build.seconds_since());
    meta.version = APICAL_VERSION;
    meta.seed = spec.simulation.seed;
    meta.dt_ms = spec.simulation.dt_ms;
    meta.t_stop_ms = spec.simulation.t_stop_ms;
    meta.ranks = ctx.size();
    meta.threads = spec.simulation.threads;
    meta.decomposition = "round robin: neuron gid on virtual process gid % (ranks x threads); "
                         "virtual process v on rank v / threads, thread v % threads";
    meta.n_neurons = net.n_neurons();
    meta.n_synapses = ctx.sum(net.n_synapses());
    meta.synapse_bytes = ctx.sum(net.synapse_bytes());
    // Construction memory per rank: what building added to the process (peak RSS so far minus
    // the RSS before the description was read), and the network's own data structures.
    const std::uint64_t rss_after_build = peak_rss_bytes();
    meta.baseline_rss_bytes = max_over_ranks(ctx, before_build.rss_bytes);
    meta.construction_bytes =
        max_over_ranks(ctx, rss_after_build - std::min(rss_after_build, before_build.rss_bytes));
    meta.network_bytes = max_over_ranks(ctx, net.synapse_bytes() + net.neuron_bytes());
    meta.resolved_description = spec.resolved_yaml;
    const ClassificationInfo classification{spec.simulation.spike_classification.rule,
                                            spec.simulation.spike_classification.threshold_ms};
    meta.spike_class_rule = classification.description();
    return meta;
}

step_t run(Simulation& sim, DistributedContext& ctx, RunMetadata& meta) {
    const NetworkSpec& spec = sim.spec();
    const step_t until = to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms);
    const Checkpoint start = Checkpoint::now();
    const step_t reached = sim.run(until);
    meta.simulate_s = ctx.max(start.seconds_since());
    meta.simulated_ms = double(reached) * meta.dt_ms;
    meta.completed = reached == until;
    meta.peak_rss_bytes = max_over_ranks(ctx, peak_rss_bytes());  // per rank, the largest
    meta.timer_deliver_s = ctx.max(sim.times().deliver);
    meta.timer_update_s = ctx.max(sim.times().update);
    meta.timer_exchange_s = ctx.max(sim.times().exchange);
    meta.timer_write_s = ctx.max(sim.times().write);
    meta.spike_exchange = spike_exchange_name(spec.simulation.spike_exchange);
    meta.exchanges = sim.exchanges();
    meta.exchange_bytes_sent = max_over_ranks(ctx, sim.exchange_bytes_sent());
    return reached;
}

}  // namespace apical
