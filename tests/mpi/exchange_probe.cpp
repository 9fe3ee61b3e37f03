// exchange_probe MODEL.yaml [--set key.path=value ...]: builds and runs a description's
// network under mpiexec without writing any file and prints, on rank 0, one JSON line with
// the spike exchange figures: spike bytes sent per rank (largest rank, summed over the run),
// exchanges (slices), seconds in the exchange phase and in the whole run (slowest rank). For
// bench/exchange_bytes; what `apical run` does minus the writers (the directed exchange still
// allgathers the recorded populations, as it would for them).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "engine/mpi_context.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"

using namespace apical;

int main(int argc, char** argv) {
    MpiSession mpi(argc, argv);
    std::unique_ptr<DistributedContext> context;
    if (mpi.active()) context = std::make_unique<MpiContext>();
    else context = std::make_unique<LocalContext>();
    DistributedContext& ctx = *context;
    if (argc < 2) {
        std::cerr << "usage: exchange_probe MODEL.yaml [--set key.path=value ...]\n";
        return 2;
    }
    std::vector<std::string> overrides;
    for (int i = 2; i + 1 < argc; i += 2)
        if (std::string(argv[i]) == "--set") overrides.push_back(argv[i + 1]);
    try {
        const NetworkSpec spec = load(argv[1], overrides);
        Network net(spec, ctx.size(), ctx.rank(), spec.simulation.threads, &ctx);
        Simulation sim(net, ctx);
        const auto t0 = std::chrono::steady_clock::now();
        sim.run(to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms));
        const double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double bytes_max = ctx.max(double(sim.exchange_bytes_sent()));
        const double bytes_min = -ctx.max(-double(sim.exchange_bytes_sent()));
        const double exchange_s = ctx.max(sim.times().exchange);
        const double simulate_s = ctx.max(run_s);
        if (ctx.rank() == 0)
            std::printf("{\"ranks\": %d, \"threads\": %d, \"spike_exchange\": \"%s\", \"exchanges\": %llu, "
                        "\"exchange_bytes_sent_max\": %.0f, \"exchange_bytes_sent_min\": %.0f, "
                        "\"timer_exchange_s\": %.6f, \"simulate_s\": %.6f}\n",
                        ctx.size(), spec.simulation.threads, spike_exchange_name(spec.simulation.spike_exchange),
                        static_cast<unsigned long long>(sim.exchanges()), bytes_max, bytes_min, exchange_s,
                        simulate_s);
    } catch (const std::exception& e) {
        std::cerr << "exchange_probe: rank " << ctx.rank() << ": " << e.what() << "\n";
        MpiSession::abort_all(1);
    }
    return 0;
}
