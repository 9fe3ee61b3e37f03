// Which storage serves plastic synapses best: the kernel decision of burst-dependent plasticity
// (docs/architecture.md, "Plastic synapses"). Both candidates run the same rule (BDSP's
// event-driven form: a presynaptic event transmits, adds the homeostatic term eta*G_i to each
// weight and increments the source's event trace E~_j; a postsynaptic event or burst adds
// eta*f*E~_j(t) to every incoming weight; weights clipped to [0, w_max] after every update) on the
// same spike trains and must end with bitwise identical weights.
//
//   transposed  (Auryn's DuplexConnection) eager: a postsynaptic spike walks its neuron's
//               incoming synapses through a per-target index of synapse positions into the
//               source-ordered table; the source of each position is found by galloping along
//               the table's offsets (positions of one target rise with the source). Per synapse:
//               target 4 + weight 4 + index 4 = 12 bytes.
//   history     (NEST's ArchivingNode) lazy: a postsynaptic spike is appended to its neuron's
//               history; a presynaptic event applies, for each of its synapses, the target's
//               history entries since the source's previous event, then transmits; entries are
//               dropped once every incoming synapse has read them (an access counter per entry).
//               Weights read at any other time need a flush. Per synapse: target 4 + weight 4.
//
// Usage: plastic_storage [n_pre n_post p pre_rate_hz post_rate_hz burst_probability seconds repeats]
// Prints ns per simulated second for each design, the ratio, bytes per synapse and whether the
// final weights agree. Defaults: the BDSP population network (1000 x 1000, p = 0.2).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

using step_t = std::int64_t;
constexpr double dt = 0.1, tau_pre = 100.0, eta = 3.5e-3, w_max = 1.0;

// exp(-k dt / tau) for k < 2048 from a table (bitwise the computed value), else computed.
struct Decay {
    std::vector<double> table;
    Decay() : table(2048) {
        for (std::size_t k = 0; k < table.size(); ++k) table[k] = std::exp(-(double(k) * dt) / tau_pre);
    }
    double operator()(step_t k) const { return k < 2048 ? table[std::size_t(k)] : std::exp(-(double(k) * dt) / tau_pre); }
};

struct Trace {
    double value = 0.0;
    step_t last = 0;
    double at(step_t t, const Decay& d) const { return value * d(t - last); }
};

double clip(double w) { return w < 0.0 ? 0.0 : (w > w_max ? w_max : w); }

struct Network {
    std::uint32_t n_pre, n_post;
    std::vector<std::uint32_t> offsets, target;  // source-ordered, targets rising per source
    std::vector<float> w0;
    std::vector<std::vector<std::uint32_t>> pre_spikes;   // per step: sources with an event
    struct Post {
        std::uint32_t neuron;
        double factor;  // eta * (valence + H) for an event, eta * (1 + H) for a burst
    };
    std::vector<std::vector<Post>> post_spikes;           // per step
    std::vector<double> G;                                // per target: eta * G_i
};

Network make_network(std::uint32_t n_pre, std::uint32_t n_post, double p, double pre_hz, double post_hz,
                     double burst_p, double seconds) {
    Network net{n_pre, n_post, {0}, {}, {}, {}, {}, {}};
    std::mt19937_64 rng(12345);
    std::bernoulli_distribution connect(p);
    for (std::uint32_t s = 0; s < n_pre; ++s) {
        for (std::uint32_t t = 0; t < n_post; ++t)
            if (connect(rng)) net.target.push_back(t);
        net.offsets.push_back(std::uint32_t(net.target.size()));
    }
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (std::size_t k = 0; k < net.target.size(); ++k) net.w0.push_back(float(0.05 + 0.1 * u01(rng)));
    const step_t steps = step_t(seconds * 1000.0 / dt);
    net.pre_spikes.resize(std::size_t(steps));
    net.post_spikes.resize(std::size_t(steps));
    const double p_pre = pre_hz * dt * 1e-3, p_post = post_hz * dt * 1e-3;
    for (step_t t = 0; t < steps; ++t)
        for (std::uint32_t s = 0; s < n_pre; ++s)
            if (u01(rng) < p_pre) net.pre_spikes[std::size_t(t)].push_back(s);
    for (step_t t = 0; t < steps; ++t)
        for (std::uint32_t i = 0; i < n_post; ++i)
            if (u01(rng) < p_post) {
                net.post_spikes[std::size_t(t)].push_back({i, -eta * 0.2 * u01(rng)});
                const step_t b = t + 20 + step_t(80 * u01(rng));  // burst spike 2-10 ms later
                if (u01(rng) < burst_p && b < steps) net.post_spikes[std::size_t(b)].push_back({i, eta});
            }
    for (auto& row : net.post_spikes)  // neuron order within a step, as the kernel delivers
        std::stable_sort(row.begin(), row.end(), [](auto& a, auto& b) { return a.neuron < b.neuron; });
    for (std::uint32_t i = 0; i < n_post; ++i) net.G.push_back(i % 3 == 0 ? eta * 0.5 : 0.0);
    return net;
}

// The ring-buffer row every transmitted weight goes to (one row: the sum is what a kernel does).
struct Sink {
    std::vector<double> row;
    double checksum = 0.0;
};

std::vector<float> run_transposed(const Network& net, Sink& sink, std::size_t& bytes) {
    const std::size_t n = net.target.size();
    std::vector<float> w = net.w0;
    // Per target: the positions of its synapses, rising (built by walking the sources in order).
    std::vector<std::uint32_t> t_offsets(net.n_post + 1, 0), t_index(n);
    for (std::uint32_t t : net.target) ++t_offsets[t + 1];
    for (std::uint32_t i = 0; i < net.n_post; ++i) t_offsets[i + 1] += t_offsets[i];
    {
        std::vector<std::uint32_t> fill(t_offsets.begin(), t_offsets.end() - 1);
        for (std::uint32_t k = 0; k < n; ++k) t_index[fill[net.target[k]]++] = k;
    }
    bytes = n * (4 + 4 + 4) + (net.offsets.size() + t_offsets.size()) * 4;
    std::vector<Trace> pre(net.n_pre);
    const Decay decay;
    const std::uint32_t* offsets = net.offsets.data();
    for (step_t t = 0; t < step_t(net.pre_spikes.size()); ++t) {
        for (std::uint32_t s : net.pre_spikes[std::size_t(t)]) {
            for (std::uint32_t k = offsets[s]; k < offsets[s + 1]; ++k) {
                const std::uint32_t i = net.target[k];
                sink.row[i] += double(w[k]);
                w[k] = float(clip(double(w[k]) + net.G[i]));
            }
            pre[s].value = pre[s].at(t, decay) + 1.0;
            pre[s].last = t;
        }
        for (const auto& post : net.post_spikes[std::size_t(t)]) {
            std::uint32_t s = 0;
            for (std::uint32_t e = t_offsets[post.neuron]; e < t_offsets[post.neuron + 1]; ++e) {
                const std::uint32_t k = t_index[e];
                // Gallop to the source whose range holds k.
                std::uint32_t step = 1;
                while (s + step < net.n_pre && offsets[s + step] <= k) {
                    s += step;
                    step *= 2;
                }
                while (step > 1) {
                    step /= 2;
                    if (s + step < net.n_pre && offsets[s + step] <= k) s += step;
                }
                while (offsets[s + 1] <= k) ++s;
                const double e_pre = pre[s].at(t, decay);
                if (e_pre != 0.0) w[k] = float(clip(double(w[k]) + post.factor * e_pre));
            }
        }
    }
    return w;
}

std::vector<float> run_history(const Network& net, Sink& sink, std::size_t& bytes) {
    const std::size_t n = net.target.size();
    std::vector<float> w = net.w0;
    struct Entry {
        step_t t;
        double factor;
        std::uint32_t reads;
    };
    struct History {
        std::vector<Entry> entries;  // a deque by hand: [head, size)
        std::size_t head = 0;
        std::uint32_t in_degree = 0;
    };
    std::vector<History> hist(net.n_post);
    for (std::uint32_t t : net.target) ++hist[t].in_degree;
    std::vector<Trace> pre(net.n_pre);
    std::vector<step_t> last_pre(net.n_pre, -1);  // -1: no event yet, every entry is pending
    const Decay decay;
    std::size_t peak_entries = 0, live_entries = 0;
    const std::uint32_t* offsets = net.offsets.data();
    // Applies the entries of i's history in [from, to) (steps) to synapse k of source s.
    auto apply = [&](History& h, std::uint32_t k, std::uint32_t s, step_t from, step_t to) {
        // First entry at or after `from`: entries are few, binary search is still cheaper than a scan.
        auto first = std::lower_bound(h.entries.begin() + std::ptrdiff_t(h.head), h.entries.end(), from,
                                      [](const Entry& e, step_t v) { return e.t < v; });
        for (auto it = first; it != h.entries.end() && it->t < to; ++it) {
            const double e_pre = pre[s].at(it->t, decay);
            if (e_pre != 0.0) w[k] = float(clip(double(w[k]) + it->factor * e_pre));
            ++it->reads;
        }
    };
    auto prune = [&](History& h) {
        while (h.head < h.entries.size() && h.entries[h.head].reads == h.in_degree) {
            ++h.head;
            --live_entries;
        }
        if (h.head > 64 && h.head * 2 > h.entries.size()) {
            h.entries.erase(h.entries.begin(), h.entries.begin() + std::ptrdiff_t(h.head));
            h.head = 0;
        }
    };
    for (step_t t = 0; t < step_t(net.pre_spikes.size()); ++t) {
        for (std::uint32_t s : net.pre_spikes[std::size_t(t)]) {
            for (std::uint32_t k = offsets[s]; k < offsets[s + 1]; ++k) {
                const std::uint32_t i = net.target[k];
                History& h = hist[i];
                // Postsynaptic spikes at the previous event's step came after it (BDSP: a step's
                // presynaptic events first), so [last_pre, t) is pending; entries before the
                // first event read a zero trace but still count as read.
                apply(h, k, s, last_pre[s], t);
                sink.row[i] += double(w[k]);
                w[k] = float(clip(double(w[k]) + net.G[i]));
                prune(h);
            }
            pre[s].value = pre[s].at(t, decay) + 1.0;
            pre[s].last = t;
            last_pre[s] = t;
        }
        for (const auto& post : net.post_spikes[std::size_t(t)]) {
            History& h = hist[post.neuron];
            h.entries.push_back({t, post.factor, 0});
            peak_entries = std::max(peak_entries, ++live_entries);
        }
    }
    // Flush: what the weights are at the end (a recording or the final weights need it).
    const step_t end = step_t(net.pre_spikes.size());
    for (std::uint32_t s = 0; s < net.n_pre; ++s)
        for (std::uint32_t k = offsets[s]; k < offsets[s + 1]; ++k) apply(hist[net.target[k]], k, s, last_pre[s], end);
    bytes = n * (4 + 4) + net.offsets.size() * 4 + peak_entries * sizeof(Entry) + net.n_post * sizeof(History);
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    const auto arg = [&](int i, double d) { return argc > i ? std::atof(argv[i]) : d; };
    const Network net = make_network(std::uint32_t(arg(1, 1000)), std::uint32_t(arg(2, 1000)), arg(3, 0.2),
                                     arg(4, 10.0), arg(5, 10.0), arg(6, 0.3), arg(7, 10.0));
    const int repeats = int(arg(8, 5));
    std::size_t pre_events = 0, post_events = 0;
    for (auto& r : net.pre_spikes) pre_events += r.size();
    for (auto& r : net.post_spikes) post_events += r.size();
    std::printf("synapses %zu, presynaptic events %zu, postsynaptic spikes %zu, %.0f s simulated\n",
                net.target.size(), pre_events, post_events, arg(7, 10.0));
    std::vector<double> times[2];
    std::vector<float> weights[2];
    std::size_t bytes[2] = {0, 0};
    for (int r = 0; r < repeats; ++r)
        for (int design = 0; design < 2; ++design) {
            Sink sink{std::vector<double>(net.n_post, 0.0)};
            const auto a = std::chrono::steady_clock::now();
            weights[design] = design == 0 ? run_transposed(net, sink, bytes[0]) : run_history(net, sink, bytes[1]);
            const auto b = std::chrono::steady_clock::now();
            times[design].push_back(std::chrono::duration<double>(b - a).count());
        }
    const char* names[2] = {"transposed", "history"};
    double median[2];
    for (int d = 0; d < 2; ++d) {
        std::sort(times[d].begin(), times[d].end());
        median[d] = times[d][times[d].size() / 2];
        std::printf("%-10s median %.3f s (min %.3f, max %.3f), %.2f bytes per synapse\n", names[d], median[d],
                    times[d].front(), times[d].back(), double(bytes[d]) / double(net.target.size()));
    }
    const bool same = std::memcmp(weights[0].data(), weights[1].data(), weights[0].size() * sizeof(float)) == 0;
    std::printf("history / transposed: %.2f; final weights %s\n", median[1] / median[0],
                same ? "bitwise identical" : "DIFFER");
    return same ? 0 : 1;
}
