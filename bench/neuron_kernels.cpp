// neuron_kernels: simulate time of one neuron model's update per neuron and step.
//
// Builds one group of N unconnected neurons of a model (default parameters, the state's
// default initial values) and calls its update() slice by slice as the engine does (slices of
// 10 steps, 1 ms at dt = 0.1 ms), timing only update(). With input, before each slice (untimed)
// the ring-buffer rows of the slice receive Poisson counts times a weight on the model's first
// (excitatory) receptor, drawn once into a table of 64 rows that is cycled, so the drive is the
// same for every build; without input the neurons sit at rest. Prints one line per
// configuration: model, input, the median and range of ns per neuron-step over the repeats and
// the mean firing rate. bench/neuron_kernels runs it (and a second build for before/after) and
// writes the table.
//
// usage: neuron_kernels [--neurons 10000] [--steps 2000] [--repeats 3] [--only MODEL[/auryn]]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "neurons/models.hpp"

using namespace apical;

namespace {

struct Config {
    const char* label;   // as printed
    const char* model;
    const char* option;  // "" or "name=value"
    double rate_per_step;  // Poisson mean per neuron and step on receptor 0
    double weight;         // in the receptor's unit (mV, pA, nS, or leak units for burst_poisson)
};

// Drives chosen so that every model fires at a few to some tens of Hz (printed).
const Config configs[] = {
    {"iaf_psc_delta", "iaf_psc_delta", "", 1.8, 0.1},
    {"iaf_psc_exp", "iaf_psc_exp", "", 2.0, 12.0},
    {"iaf_cond_exp", "iaf_cond_exp", "", 2.0, 1.5},
    {"aeif_cond_exp", "aeif_cond_exp", "", 2.0, 3.0},
    {"burst_pyramidal", "burst_pyramidal", "", 0.2, 1.0},
    {"burst_pyramidal/auryn", "burst_pyramidal", "reference_step_order=auryn", 0.2, 1.0},
    {"burst_poisson", "burst_poisson", "", 0.5, 0.05},
    {"pp_cond_exp_mc_urbanczik", "pp_cond_exp_mc_urbanczik", "", 0.5, 2.0},
};

constexpr int slice_steps = 10;
constexpr int table_rows = 64;

struct Result {
    double ns_per_neuron_step;
    double rate_hz;
};

Result run_once(const Config& c, bool with_input, std::size_t n, int steps, const std::vector<double>& table) {
    const ModelEntry* entry = find_model(c.model);
    const ModelInfo& info = entry->info();
    std::map<std::string, double> p;
    for (auto& par : info.parameters) p[par.name] = par.default_value;
    ModelContext ctx;
    if (*c.option) {
        const std::string o = c.option;
        const auto eq = o.find('=');
        ctx.options = info.option_indices({{o.substr(0, eq), o.substr(eq + 1)}});
    }
    const double dt = 0.1;
    const int n_slots = 2 * slice_steps;
    std::vector<gid_t> gids(n);
    for (std::size_t i = 0; i < n; ++i) gids[i] = gid_t(i);
    auto group = entry->make(gids, n_slots, dt, p, ctx);
    for (std::size_t s = 0; s < info.state.size(); ++s) {
        auto& x = group->state(int(s));
        const auto& from = info.state[s].default_from_parameter;
        std::fill(x.begin(), x.end(), from.empty() ? 0.0 : p.at(from));
    }
    std::vector<double> zeros(slice_steps, 0.0);
    std::vector<const double*> common(info.compartments.size(), zeros.data());
    std::vector<Spike> spikes;
    spikes.reserve(n * slice_steps);
    std::size_t n_spikes = 0;
    double seconds = 0.0;
    const int warmup = std::min(steps / 10, 200);
    for (step_t first = 1; first <= step_t(warmup + steps); first += slice_steps) {
        if (with_input) {
            RingBuffer& buf = group->input(0);
            for (int k = 0; k < slice_steps; ++k) {
                double* row = buf.row_of_step(first + k);
                const double* t = table.data() + std::size_t((first + k) % table_rows) * n;
                for (std::size_t i = 0; i < n; ++i) row[i] += t[i];
            }
        }
        spikes.clear();
        const SliceInput in{first, slice_steps, common.data()};
        const auto t0 = std::chrono::steady_clock::now();
        group->update(in, spikes);
        const auto t1 = std::chrono::steady_clock::now();
        if (first > warmup) {
            seconds += std::chrono::duration<double>(t1 - t0).count();
            n_spikes += spikes.size();
        }
    }
    const int timed_steps = (steps + slice_steps - 1) / slice_steps * slice_steps;
    return {seconds * 1e9 / (double(n) * timed_steps), double(n_spikes) / (double(n) * timed_steps * dt * 1e-3)};
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 10000;
    int steps = 2000, repeats = 3;
    std::string only;
    for (int a = 1; a + 1 < argc; a += 2) {
        const std::string k = argv[a];
        if (k == "--neurons") n = std::size_t(std::atol(argv[a + 1]));
        else if (k == "--steps") steps = std::atoi(argv[a + 1]);
        else if (k == "--repeats") repeats = std::atoi(argv[a + 1]);
        else if (k == "--only") only = argv[a + 1];
        else {
            std::fprintf(stderr, "usage: neuron_kernels [--neurons N] [--steps S] [--repeats R] [--only MODEL]\n");
            return 2;
        }
    }
    std::printf("# model input ns_per_neuron_step(median) min max rate_hz\n");
    for (const Config& c : configs) {
        if (!only.empty() && only != c.label) continue;
        std::mt19937_64 rng(12345);
        std::poisson_distribution<int> poisson(c.rate_per_step);
        std::vector<double> table(std::size_t(table_rows) * n);
        for (double& x : table) x = poisson(rng) * c.weight;
        for (bool with_input : {false, true}) {
            std::vector<double> ns;
            double rate = 0.0;
            for (int r = 0; r < repeats; ++r) {
                const Result res = run_once(c, with_input, n, steps, table);
                ns.push_back(res.ns_per_neuron_step);
                rate = res.rate_hz;
            }
            std::sort(ns.begin(), ns.end());
            std::printf("%s %s %.3f %.3f %.3f %.1f\n", c.label, with_input ? "poisson" : "none",
                        ns[ns.size() / 2], ns.front(), ns.back(), rate);
            std::fflush(stdout);
        }
    }
    return 0;
}
