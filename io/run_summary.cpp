// The summary of a run's output (see run_summary.hpp).
#include "io/run_summary.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <type_traits>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace apical {

namespace {

// spike_class values (io/spike_writer.hpp)
constexpr std::uint8_t event_class = 0, burst_class = 1, last_known_class = 2;

// Reads an attribute if it is there (files of older versions lack some).
template <class T>
void read_if_present(hid_t obj, const std::string& name, T& out) {
    if (!h5::attribute_exists(obj, name)) return;
    if constexpr (std::is_same_v<T, std::string>)
        out = h5::read_string_attribute(obj, name);
    else
        out = h5::read_attribute<T>(obj, name);
}

void read_metadata(hid_t file, RunSummary& s) {
    if (h5::object_kind(file, "apical") != H5I_GROUP) return;
    s.has_metadata = true;
    h5::Handle g = h5::open_group(file, "apical");
    const hid_t a = g.get();
    read_if_present(a, "version", s.version);
    read_if_present(a, "seed", s.seed);
    read_if_present(a, "dt_ms", s.dt_ms);
    read_if_present(a, "t_stop_ms", s.t_stop_ms);
    read_if_present(a, "simulated_ms", s.simulated_ms);
    read_if_present(a, "ranks", s.ranks);
    read_if_present(a, "threads", s.threads);
    read_if_present(a, "n_neurons", s.n_neurons);
    read_if_present(a, "n_synapses", s.n_synapses);
    read_if_present(a, "build_s", s.build_s);
    std::uint8_t completed = 0;
    read_if_present(a, "completed", completed);
    if (h5::object_kind(a, "flushed_ms") == H5I_DATASET) {
        const std::vector<double> v = h5::read_all<double>(h5::open_dataset(a, "flushed_ms").get());
        if (v.size() == 1) s.flushed_ms = v[0];
    }
    // A finished writer (completed, or stopped and closed) has written how far the run got.
    if (completed != 0) s.status = RunStatus::completed;
    else if (s.simulated_ms > 0) s.status = RunStatus::stopped;
    else s.status = RunStatus::unfinished;
    if (s.status == RunStatus::unfinished) {
        if (s.flushed_ms && *s.flushed_ms > 0) s.duration_ms = *s.flushed_ms;
    } else {
        s.duration_ms = s.simulated_ms;
        double simulate_s = 0;
        std::uint64_t peak = 0;
        read_if_present(a, "simulate_s", simulate_s);
        read_if_present(a, "peak_rss_bytes", peak);
        s.simulate_s = simulate_s;
        s.peak_rss_bytes = peak;
    }
}

// The population's size from the resolved description (files without n_neurons).
std::optional<std::uint64_t> size_from_description(hid_t file, const std::string& population) {
    if (h5::object_kind(file, "apical") != H5I_GROUP) return std::nullopt;
    h5::Handle g = h5::open_group(file, "apical");
    if (h5::object_kind(g.get(), "description") != H5I_DATASET) return std::nullopt;
    try {
        const YAML::Node size = YAML::Load(h5::read_string_dataset(g.get(), "description"))["populations"][population]["size"];
        if (size.IsScalar()) return size.as<std::uint64_t>();
    } catch (const YAML::Exception&) {
    }
    return std::nullopt;
}

// Mean over neurons with >= 3 spikes of std / mean of their inter-spike intervals; the
// number of those neurons.
std::pair<std::optional<double>, std::uint64_t> mean_cv_isi(const std::vector<std::uint64_t>& ids,
                                                             const std::vector<double>& times) {
    if (ids.empty()) return {std::nullopt, 0};
    // The spikes grouped by neuron (counting sort by node id).
    const std::uint64_t n = *std::max_element(ids.begin(), ids.end()) + 1;
    std::vector<std::size_t> first(n + 1, 0);
    for (std::uint64_t id : ids) ++first[id + 1];
    for (std::uint64_t i = 0; i < n; ++i) first[i + 1] += first[i];
    std::vector<double> by_neuron(times.size());
    std::vector<std::size_t> next(first.begin(), first.end() - 1);
    for (std::size_t k = 0; k < ids.size(); ++k) by_neuron[next[ids[k]]++] = times[k];
    double sum_cv = 0;
    std::uint64_t neurons = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto begin = by_neuron.begin() + std::ptrdiff_t(first[i]);
        const auto end = by_neuron.begin() + std::ptrdiff_t(first[i + 1]);
        const std::size_t k = first[i + 1] - first[i];
        if (k < 3) continue;
        std::sort(begin, end);  // files need not be sorted by time
        const double intervals = double(k - 1);
        const double mean = (*(end - 1) - *begin) / intervals;
        if (!(mean > 0)) continue;
        double squares = 0;
        for (auto t = begin + 1; t != end; ++t) squares += (*t - *(t - 1) - mean) * (*t - *(t - 1) - mean);
        sum_cv += std::sqrt(squares / intervals) / mean;
        ++neurons;
    }
    if (neurons == 0) return {std::nullopt, 0};
    return {sum_cv / double(neurons), neurons};
}

PopulationSummary summarize_population(hid_t file, hid_t spikes, const std::string& name,
                                       std::optional<double> duration_ms) {
    PopulationSummary p;
    p.name = name;
    h5::Handle g = h5::open_group(spikes, name);
    if (h5::attribute_exists(g.get(), "n_neurons")) {
        p.n_neurons = h5::read_attribute<std::uint64_t>(g.get(), "n_neurons");
        p.n_neurons_from = "spike file";
    } else if ((p.n_neurons = size_from_description(file, name))) {
        p.n_neurons_from = "description";
    }
    auto read = [&](const char* dataset, auto type_tag) {
        using T = decltype(type_tag);
        if (h5::object_kind(g.get(), dataset) != H5I_DATASET) return std::vector<T>{};
        return h5::read_all<T>(h5::open_dataset(g.get(), dataset).get());
    };
    std::vector<double> times = read("timestamps", double{});
    std::vector<std::uint64_t> ids = read("node_ids", std::uint64_t{});
    if (ids.empty()) ids = read("gids", std::uint64_t{});
    std::vector<std::uint8_t> classes = read("spike_class", std::uint8_t{});
    // A killed writer may leave the datasets at different lengths: the spikes all have.
    const std::size_t stored = std::min(times.size(), ids.size());
    p.classified = classes.size() >= stored && h5::object_kind(g.get(), "spike_class") == H5I_DATASET;
    // The spikes up to the duration, in file order.
    std::size_t kept = 0;
    for (std::size_t k = 0; k < stored; ++k) {
        if (duration_ms && times[k] > *duration_ms) continue;
        times[kept] = times[k];
        ids[kept] = ids[k];
        if (p.classified) classes[kept] = classes[k];
        ++kept;
    }
    times.resize(kept);
    ids.resize(kept);
    p.n_spikes = kept;
    if (p.classified) {
        for (std::size_t k = 0; k < kept; ++k) {
            p.events += classes[k] == event_class;
            p.bursts += classes[k] == burst_class;
            if (classes[k] > last_known_class) p.classified = false;
        }
    }
    std::tie(p.cv_isi, p.cv_isi_neurons) = mean_cv_isi(ids, times);
    if (p.n_neurons && *p.n_neurons > 0 && duration_ms && *duration_ms > 0) {
        const double neuron_seconds = double(*p.n_neurons) * *duration_ms * 1e-3;
        p.rate_hz = double(p.n_spikes) / neuron_seconds;
        if (p.classified) {
            p.event_rate_hz = double(p.events) / neuron_seconds;
            p.burst_rate_hz = double(p.bursts) / neuron_seconds;
        }
    }
    if (p.classified && p.events > 0) p.burst_probability = double(p.bursts) / double(p.events);
    if (!p.classified) p.events = p.bursts = 0;
    return p;
}

RunSummary read_summary(const fs::path& spike_file) {
    RunSummary s;
    s.spike_file = spike_file;
    h5::Handle file = h5::open_file_for_reading(spike_file);
    unsigned intent = 0;
    if (H5Fget_intent(file.get(), &intent) >= 0) s.open_for_writing = (intent & H5F_ACC_SWMR_READ) != 0;
    if (h5::object_kind(file.get(), "spikes") != H5I_GROUP)
        throw UserError("apical info: '" + spike_file.string() + "' has no group /spikes (not a spike file of apical run)");
    read_metadata(file.get(), s);
    h5::Handle spikes = h5::open_group(file.get(), "spikes");
    for (const std::string& name : h5::child_names(spikes.get()))
        if (h5::object_kind(spikes.get(), name) == H5I_GROUP)
            s.populations.push_back(summarize_population(file.get(), spikes.get(), name, s.duration_ms));
    return s;
}

// ---- text ------------------------------------------------------------------------------

std::string or_dash(const std::optional<double>& x, int digits) { return x ? fixed(*x, digits) : "-"; }

std::string status_text(const RunSummary& s) {
    switch (s.status) {
    case RunStatus::completed:
        return "completed (" + fixed(s.simulated_ms, 1) + " ms simulated)";
    case RunStatus::stopped:
        return "stopped at " + fixed(s.simulated_ms, 1) + " of " + fixed(s.t_stop_ms, 1) + " ms";
    case RunStatus::unfinished:
        return std::string("not finished: ") +
               (s.open_for_writing ? "still running, or killed" : "killed, or ended by an error") +
               (s.duration_ms ? "; spikes complete up to " + fixed(*s.duration_ms, 1) + " ms of " + fixed(s.t_stop_ms, 1) + " ms"
                              : "; how far it got is not recorded (file of an older version)");
    case RunStatus::unknown:
        break;
    }
    return "unknown (no /apical metadata)";
}

const char* status_name(RunStatus r) {
    switch (r) {
    case RunStatus::completed: return "completed";
    case RunStatus::stopped: return "stopped";
    case RunStatus::unfinished: return "unfinished";
    case RunStatus::unknown: break;
    }
    return "unknown";
}

// Rows of cells, left-aligned first column, the others right-aligned.
std::string aligned(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], r[c].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c) {
            const std::string pad(width[c] - r[c].size(), ' ');
            line += c == 0 ? r[c] + pad : "  " + pad + r[c];
        }
        out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
    }
    return out;
}

// ---- JSON -------------------------------------------------------------------------------

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", c);
                out += b;
            } else {
                out += char(c);  // UTF-8 passes through
            }
        }
    }
    return out + "\"";
}

// Enough digits to read back the same double; null for none, NaN or infinity.
std::string json_number(const std::optional<double>& x) {
    if (!x || !std::isfinite(*x)) return "null";
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", *x);
    return b;
}
std::string json_number(double x) { return json_number(std::optional<double>(x)); }
std::string json_number(std::uint64_t x) { return std::to_string(x); }
std::string json_number(const std::optional<std::uint64_t>& x) { return x ? std::to_string(*x) : "null"; }

// One JSON object from (key, already-encoded value) pairs, indented by `indent`.
std::string json_object(const std::vector<std::pair<std::string, std::string>>& members, const std::string& indent) {
    std::string out = "{";
    for (std::size_t i = 0; i < members.size(); ++i)
        out += (i ? ",\n" : "\n") + indent + "  " + json_string(members[i].first) + ": " + members[i].second;
    return out + "\n" + indent + "}";
}

}  // namespace

std::string fixed(double x, int digits) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", digits, x);
    return b;
}

std::string human_bytes(double b) {
    const char* u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) { b /= 1024; ++i; }
    return fixed(b, i ? 1 : 0) + " " + u[i];
}

// The plastic projections of weights.h5 in `dir`, if the run wrote one.
void read_weights(const fs::path& dir, RunSummary& s) {
    std::error_code ec;
    const fs::path file = dir / "weights.h5";
    if (!fs::is_regular_file(file, ec)) return;
    h5::Handle f = h5::open_file_for_reading(file);
    if (h5::object_kind(f.get(), "weights") != H5I_GROUP) return;
    h5::Handle top = h5::open_group(f.get(), "weights");
    for (const std::string& name : h5::child_names(top.get())) {
        h5::Handle g = h5::open_group(top.get(), name);
        PlasticSummary p;
        p.name = name;
        read_if_present(g.get(), "rule", p.rule);
        read_if_present(g.get(), "unit", p.unit);
        read_if_present(g.get(), "n_synapses", p.n_synapses);
        read_if_present(g.get(), "mean_start", p.mean_start);
        read_if_present(g.get(), "mean_end", p.mean_end);
        read_if_present(g.get(), "time_ms", p.time_ms);
        s.plastic.push_back(p);
    }
}

RunSummary summarize_run(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw UserError("apical info: no such directory or file '" + path.string() + "'");
    const fs::path spike_file = fs::is_directory(path, ec) ? path / "spikes.h5" : path;
    if (!fs::is_regular_file(spike_file, ec))
        throw UserError("apical info: '" + path.string() + "' holds no spikes.h5 (not an output directory of apical run)");
    try {
        RunSummary s = read_summary(spike_file);
        read_weights(spike_file.parent_path(), s);
        return s;
    } catch (const RuntimeFailure& e) {
        // Not HDF5, or damaged: something the user must look at, not a failure of apical.
        throw UserError("apical info: cannot read '" + spike_file.string() + "': " + e.what());
    }
}

std::string summary_table(const RunSummary& s) {
    std::vector<std::pair<std::string, std::string>> head = {{"spike file", s.spike_file.string()},
                                                             {"run", status_text(s)}};
    if (s.has_metadata) {
        head.push_back({"version", "apical " + s.version});
        head.push_back({"simulation", "dt " + fixed(s.dt_ms, 3) + " ms, t_stop " + fixed(s.t_stop_ms, 1) + " ms, seed " +
                                          std::to_string(s.seed)});
        head.push_back({"ranks x threads", std::to_string(s.ranks) + " x " + std::to_string(s.threads)});
        head.push_back({"network", std::to_string(s.n_neurons) + " neurons, " + std::to_string(s.n_synapses) + " synapses"});
        head.push_back({"build", fixed(s.build_s, 2) + " s"});
        head.push_back({"simulate", s.simulate_s ? fixed(*s.simulate_s, 2) + " s" : "- (not written: the run did not end)"});
        head.push_back({"peak memory", s.peak_rss_bytes ? human_bytes(double(*s.peak_rss_bytes)) + " per rank (largest)"
                                                       : "- (not written: the run did not end)"});
    }
    std::string out;
    for (const auto& [key, value] : head) out += key + std::string(17 - std::min<std::size_t>(16, key.size()), ' ') + value + "\n";
    out += "\n";
    if (s.populations.empty()) return out + "no recorded populations\n";
    std::vector<std::vector<std::string>> rows = {
        {"population", "neurons", "spikes", "rate Hz", "CV ISI", "CV neurons", "event Hz", "burst Hz", "burst prob."}};
    for (const PopulationSummary& p : s.populations)
        rows.push_back({p.name, p.n_neurons ? std::to_string(*p.n_neurons) : "-", std::to_string(p.n_spikes),
                        or_dash(p.rate_hz, 2), or_dash(p.cv_isi, 3), std::to_string(p.cv_isi_neurons),
                        or_dash(p.event_rate_hz, 2), or_dash(p.burst_rate_hz, 2), or_dash(p.burst_probability, 3)});
    out += aligned(rows) + "\n";
    out += s.duration_ms ? "Rates over the first " + fixed(*s.duration_ms, 1) + " ms"
                         : std::string("Rates unknown: the file does not say how far the run got");
    out += ". CV ISI: std / mean of a neuron's inter-spike intervals, the mean over the neurons with >= 3 spikes "
           "(CV neurons: how many).\nEvents, bursts: the spike classes of spikes.h5 (docs/models.md 3); "
           "burst prob. = bursts / events; '-' where unknown.\n";
    if (s.plastic.empty()) return out;
    std::vector<std::vector<std::string>> weights = {{"projection", "rule", "synapses", "mean weight start", "mean weight end"}};
    for (const PlasticSummary& p : s.plastic)
        weights.push_back({p.name, p.rule, std::to_string(p.n_synapses), fixed(p.mean_start, 6) + " " + p.unit,
                           fixed(p.mean_end, 6) + " " + p.unit});
    out += "\n" + aligned(weights) + "\nWeights: weights.h5, the end at " + fixed(s.plastic.front().time_ms, 1) + " ms.\n";
    return out;
}

std::string summary_json(const RunSummary& s) {
    std::vector<std::pair<std::string, std::string>> top = {
        {"spike_file", json_string(s.spike_file.string())},
        {"status", json_string(status_name(s.status))},
        {"status_text", json_string(status_text(s))},
        {"open_for_writing", s.open_for_writing ? "true" : "false"},
        {"duration_ms", json_number(s.duration_ms)}};
    if (s.has_metadata)
        top.push_back({"metadata", json_object({{"version", json_string(s.version)},
                                                {"seed", json_number(s.seed)},
                                                {"dt_ms", json_number(s.dt_ms)},
                                                {"t_stop_ms", json_number(s.t_stop_ms)},
                                                {"simulated_ms", json_number(s.simulated_ms)},
                                                {"flushed_ms", json_number(s.flushed_ms)},
                                                {"completed", s.status == RunStatus::completed ? "true" : "false"},
                                                {"ranks", std::to_string(s.ranks)},
                                                {"threads", std::to_string(s.threads)},
                                                {"n_neurons", json_number(s.n_neurons)},
                                                {"n_synapses", json_number(s.n_synapses)},
                                                {"build_s", json_number(s.build_s)},
                                                {"simulate_s", json_number(s.simulate_s)},
                                                {"peak_rss_bytes", json_number(s.peak_rss_bytes)}},
                                               "  ")});
    else
        top.push_back({"metadata", "null"});
    std::string pops = "[";
    for (std::size_t i = 0; i < s.populations.size(); ++i) {
        const PopulationSummary& p = s.populations[i];
        pops += (i ? ",\n    " : "\n    ") +
                json_object({{"name", json_string(p.name)},
                             {"n_neurons", json_number(p.n_neurons)},
                             {"n_neurons_from", p.n_neurons ? json_string(p.n_neurons_from) : "null"},
                             {"n_spikes", json_number(p.n_spikes)},
                             {"rate_hz", json_number(p.rate_hz)},
                             {"cv_isi", json_number(p.cv_isi)},
                             {"cv_isi_neurons", json_number(p.cv_isi_neurons)},
                             {"classified", p.classified ? "true" : "false"},
                             {"events", p.classified ? json_number(p.events) : "null"},
                             {"bursts", p.classified ? json_number(p.bursts) : "null"},
                             {"event_rate_hz", json_number(p.event_rate_hz)},
                             {"burst_rate_hz", json_number(p.burst_rate_hz)},
                             {"burst_probability", json_number(p.burst_probability)}},
                            "    ");
    }
    pops += s.populations.empty() ? "]" : "\n  ]";
    top.push_back({"populations", pops});
    std::string plastic = "[";
    for (std::size_t i = 0; i < s.plastic.size(); ++i) {
        const PlasticSummary& p = s.plastic[i];
        plastic += (i ? ",\n    " : "\n    ") +
                   json_object({{"name", json_string(p.name)},
                                {"rule", json_string(p.rule)},
                                {"unit", json_string(p.unit)},
                                {"n_synapses", json_number(p.n_synapses)},
                                {"mean_weight_start", json_number(p.mean_start)},
                                {"mean_weight_end", json_number(p.mean_end)},
                                {"time_ms", json_number(p.time_ms)}},
                               "    ");
    }
    plastic += s.plastic.empty() ? "]" : "\n  ]";
    top.push_back({"plastic_projections", plastic});
    top.push_back({"cv_isi_definition",
                   json_string("std / mean of a neuron's inter-spike intervals (std with divisor n), mean over the "
                               "neurons with >= 3 spikes (cv_isi_neurons)")});
    return json_object(top, "") + "\n";
}

}  // namespace apical
