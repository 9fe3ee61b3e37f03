// The recordings section: which populations' spikes are written, state recordings (state
// variables of some nodes, sampled) and population rates (binned event and burst rates).
// State recordings and population rates share their name, population and window rows.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "io/description/sections.hpp"
#include "neurons/model_info.hpp"

namespace apical::description {

namespace {

bool valid_recording_name(const std::string& n) {
    if (n.empty() || n[0] == '.' || n[0] == '-') return false;
    for (char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
    return true;
}

// The name of a state recording or population rate: given or `fallback`, unique among both.
std::string recording_name(Reader& in, const Tree& item, const std::string& path, const std::string& fallback) {
    const Tree* nm = item.find("name");
    const std::string npath = path + ".name";
    const std::string n = nm ? in.name(*nm, npath, "a recording name") : fallback;
    const Pos at = nm ? nm->pos : item.pos;
    if (!valid_recording_name(n))
        in.fail(at, npath,
                "a recording name of letters, digits, _, - and ., not starting with . or - (it names output "
                "files)",
                quote(n));
    for (auto& [other, opath] : in.recording_names)
        if (other == n)
            in.fail(at, npath,
                    "a recording name not used before (" + opath + " is " + quote(n) +
                        "; give each recording a different name)",
                    quote(n));
    in.recording_names.push_back({n, path});
    return n;
}

// Two recordings must not write the same file of the output folder.
void claim_files(Reader& in, const Tree& item, const std::string& path, const std::string& name,
                 const std::vector<std::string>& files) {
    for (auto& f : files) {
        // A file name has at most 255 bytes on Linux file systems (NAME_MAX).
        if (f.size() > 255) {
            const Tree* nm = item.find("name");
            in.fail(nm ? nm->pos : item.pos, path + ".name",
                    "a recording name whose output file names have at most 255 bytes (" + quote(f) + " has " +
                        std::to_string(f.size()) + ")",
                    quote(name));
        }
        auto [it, fresh] = in.output_files.emplace(f, path);
        if (!fresh) {
            const Tree* nm = item.find("name");
            in.fail(
                nm ? nm->pos : item.pos, path + ".name",
                "a recording name whose output files are its own (" + it->second + " writes " + quote(f) + ")",
                quote(name));
        }
    }
}

// start (default 0 ms, on the step grid) and stop (default t_stop, after start).
template <class R>
void read_window(const Reader& in, const Tree& item, const std::string& path, R& r) {
    r.start_ms = 0.0;
    if (auto* v = item.find("start")) r.start_ms = in.grid_time(*v, path + ".start", "a start time", false);
    r.stop_ms = in.spec.simulation.t_stop_ms;
    if (auto* v = item.find("stop")) {
        r.stop_ms = in.quantity(*v, path + ".stop", Dimension::time);
        if (!(r.stop_ms > r.start_ms))
            in.fail(v->pos, path + ".stop", "a stop time after start (" + q(r.start_ms, Dimension::time) + ")",
                    q(r.stop_ms, Dimension::time));
        in.check_steps(*v, path + ".stop", r.stop_ms, "a stop time");
    } else if (!(r.stop_ms > r.start_ms)) {
        in.fail(item.find("start")->pos, path + ".start",
                "a start time before stop (t_stop, " + q(r.stop_ms, Dimension::time) + ")",
                q(r.start_ms, Dimension::time));
    }
}

// The rows both kinds of recording have: name and population first, the window last.
// Written by the table; read by the section (they depend on each other).
template <class R>
Table<R> head_rows() {
    return {
        custom_field<R>("name", nullptr, [](YAML::Emitter& out, const Reader&, const R& r) { out << r.name; }),
        custom_field<R>("population", nullptr,
                        [](YAML::Emitter& out, const Reader&, const R& r) { out << r.population; })};
}

template <class R>
Table<R> window_rows() {
    return {custom_field<R>(
                "start", nullptr,
                [](YAML::Emitter& out, const Reader&, const R& r) { out << q(r.start_ms, Dimension::time); }),
            custom_field<R>("stop", nullptr, [](YAML::Emitter& out, const Reader&, const R& r) {
                out << q(r.stop_ms, Dimension::time);
            })};
}

template <class R>
Table<R> recording_table(const Table<R>& own) {
    Table<R> t = head_rows<R>();
    t.insert(t.end(), own.begin(), own.end());
    for (auto& f : window_rows<R>()) t.push_back(f);
    return t;
}

// n distinct nodes of 0 .. size-1 drawn uniformly without replacement, ascending (n <= size).
// Floyd's algorithm (J. Bentley, "Programming pearls: a sample of brilliance", CACM 30(9),
// 1987): for j = size-n .. size-1 draw t uniform in [0, j]; take t, or j if t is taken
// already. The draws come from the Philox stream (seed, purpose (sampling, 0)), id 0,
// sub 0, through RandomStream::uniform_int (exact rejection), so the selection depends only
// on (size, n, seed), on every platform and build.
std::vector<std::uint32_t> sample_nodes(std::uint64_t size, std::uint64_t n, std::uint32_t seed) {
    RandomStream r(seed, purpose(Purpose::sampling, 0), 0, 0);
    std::set<std::uint64_t> chosen;
    for (std::uint64_t j = size - n; j < size; ++j)
        if (!chosen.insert(r.uniform_int(j + 1)).second) chosen.insert(j);
    return {chosen.begin(), chosen.end()};
}

// Node ids of `pop`: a list, {range: [first, stop, step]}, {sample: n, seed: s} or all.
std::vector<std::uint32_t> read_nodes(const Reader& in, const Tree& t, const std::string& path,
                                      const PopulationSpec& pop, NodeSelection& how) {
    const std::string forms = "a list of node ids, {range: [first, stop]}, {sample: n, seed: s} or all";
    const std::string size = std::to_string(pop.size), of = " (the size of " + pop.name + ")";
    std::vector<std::uint32_t> ids;
    if (t.is_scalar() && t.text == "all") {
        how.kind = NodeSelection::Kind::all;
        ids.resize(pop.size);
        for (std::uint64_t i = 0; i < pop.size; ++i) ids[i] = std::uint32_t(i);
        return ids;
    }
    if (t.is_seq()) {
        how.kind = NodeSelection::Kind::list;
        if (t.items.empty()) in.fail(t.pos, path, "a non-empty list of node ids", "an empty list");
        std::map<std::uint64_t, std::size_t> seen;  // node id -> first index
        for (std::size_t k = 0; k < t.items.size(); ++k) {
            const std::string ipath = index_path(path, k);
            const std::uint64_t id =
                in.integer(t.items[k], ipath, 0, pop.size - 1, "a node id below " + size + of);
            if (auto [it, fresh] = seen.emplace(id, k); !fresh)
                in.fail(t.items[k].pos, ipath, "each node once",
                        std::to_string(id) + " again (first at " + index_path(path, it->second) + ")");
            ids.push_back(std::uint32_t(id));
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    if (!t.is_map()) in.fail(t.pos, path, forms, describe(t));
    in.check_keys(t, path, {"range", "sample", "seed"}, "a key of a node selection");
    const Tree* range = t.find("range");
    const Tree* sample = t.find("sample");
    if (range && sample) in.fail(sample->pos, path + ".sample", "either range or sample, not both", "both");
    if (range) {
        in.check_keys(t, path, {"range"}, "a key of a node range", " (seed belongs to sample)");
        how.kind = NodeSelection::Kind::range;
        const std::string rpath = path + ".range";
        if (!range->is_seq() || range->items.size() < 2 || range->items.size() > 3)
            in.fail(
                range->pos, rpath,
                "a list [first, stop] or [first, stop, step] (node ids first, first + step, ... below stop)",
                describe(*range));
        how.stop =
            in.integer(range->items[1], index_path(rpath, 1), 1, pop.size, "a stop from 1 to " + size + of);
        how.first = in.integer(range->items[0], index_path(rpath, 0), 0, how.stop - 1,
                               "a first node id below stop (" + std::to_string(how.stop) + ")");
        if (range->items.size() == 3)
            how.step =
                in.integer(range->items[2], index_path(rpath, 2), 1, max_gids, "a positive integer step");
        for (std::uint64_t i = how.first; i < how.stop; i += how.step) ids.push_back(std::uint32_t(i));
        return ids;
    }
    const Tree& n = in.require(t, path, "sample", forms);
    how.kind = NodeSelection::Kind::sample;
    how.n = in.integer(n, path + ".sample", 1, pop.size, "a number of nodes from 1 to " + size + of);
    const Tree& seed = in.require(t, path, "seed", "the seed of the sample, an integer in [0, 4294967295]");
    how.seed =
        std::uint32_t(in.integer(seed, path + ".seed", 0, 4294967295ull, "an integer in [0, 4294967295]"));
    return sample_nodes(pop.size, how.n, how.seed);
}

// A node selection as it was given (`ids`: the nodes it chose).
void write_selection(YAML::Emitter& out, const NodeSelection& how, const std::vector<std::uint32_t>& ids) {
    switch (how.kind) {
    case NodeSelection::Kind::all: out << "all"; break;
    case NodeSelection::Kind::list:
        out << YAML::Flow << YAML::BeginSeq;
        for (auto n : ids) out << std::to_string(n);
        out << YAML::EndSeq;
        break;
    case NodeSelection::Kind::range:
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "range" << YAML::Value << YAML::Flow
            << YAML::BeginSeq << std::to_string(how.first) << std::to_string(how.stop)
            << std::to_string(how.step) << YAML::EndSeq << YAML::EndMap;
        break;
    case NodeSelection::Kind::sample:
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "sample" << YAML::Value << std::to_string(how.n)
            << YAML::Key << "seed" << YAML::Value << std::to_string(how.seed) << YAML::EndMap;
        break;
    }
}

// As the nodes were given: `r` is an entry of spec.state_recordings, whose selections
// Reader::node_selections keeps at the same index.
void write_nodes(YAML::Emitter& out, const Reader& in, const StateRecordingSpec& r) {
    write_selection(out, in.node_selections[std::size_t(&r - in.spec.state_recordings.data())], r.nodes);
}

const Table<StateRecordingSpec>& state_table() {
    using R = StateRecordingSpec;
    static const Table<R> table = recording_table<R>({
        custom_field<R>("variables", nullptr,
                        [](YAML::Emitter& out, const Reader& in, const R& r) {
                            const ModelInfo& info = *population_named(in, r.population).info;
                            out << YAML::Flow << YAML::BeginSeq;
                            for (int v : r.variables) out << info.state[std::size_t(v)].name;
                            out << YAML::EndSeq;
                        }),
        custom_field<R>("nodes", nullptr, &write_nodes),
        grid_time_field("interval", &R::interval_ms, "an interval", true),
    });
    return table;
}

const Table<PopulationRateSpec>& rate_table() {
    using R = PopulationRateSpec;
    static const Table<R> table = recording_table<R>({grid_time_field("bin", &R::bin_ms, "a bin width", true)});
    return table;
}

// The recording's mapping, checked, and its population.
template <class R>
const PopulationSpec& read_head(Reader& in, const Tree& item, const std::string& path, const Table<R>& table,
                                const std::string& what, const std::string& noun,
                                const std::string& population_what, R& r) {
    in.expect_map(item, path, what);
    in.check_keys(item, path, keys_of(table), "a key of a " + noun);
    r.where = {item.pos.line, item.pos.column, path};
    const Tree& p = in.require(item, path, "population", population_what);
    const PopulationSpec& pop = in.spec.populations[in.population_ref(p, path + ".population")];
    r.population = pop.name;
    return pop;
}

void read_state_recording(Reader& in, const Tree& item, const std::string& ipath) {
    StateRecordingSpec r;
    const PopulationSpec& pop = read_head(in, item, ipath, state_table(),
                                          "a state recording (a mapping with population, variables and nodes)",
                                          "state recording", "the population whose state is sampled", r);
    const ModelInfo& info = *pop.info;
    if (info.state.empty())
        in.fail(item.find("population")->pos, ipath + ".population",
                "a population whose neurons have state variables",
                quote(pop.name) + " (a " + pop.model + " population, which has none)");
    r.name = recording_name(in, item, ipath, pop.name + "_state");

    std::vector<std::string> snames;
    for (auto& si : info.state) snames.push_back(si.name);
    const std::string vpath = ipath + ".variables";
    const std::string what = "a state variable of " + pop.model + ", the model of population " + pop.name;
    const Tree& vars = in.require(item, ipath, "variables", "a list of state variables " + one_of(snames));
    if (!vars.is_seq() || vars.items.empty())
        in.fail(vars.pos, vpath, "a non-empty list of state variables " + one_of(snames), describe(vars));
    for (std::size_t k = 0; k < vars.items.size(); ++k) {
        const Tree& v = vars.items[k];
        const int si = int(in.choice(v, index_path(vpath, k), what, snames));
        if (std::find(r.variables.begin(), r.variables.end(), si) != r.variables.end())
            in.fail(v.pos, index_path(vpath, k), "each state variable once", quote(v.text) + " again");
        r.variables.push_back(si);
    }
    std::vector<std::string> files;
    for (int v : r.variables) files.push_back(r.name + "_" + snames[std::size_t(v)] + ".h5");
    claim_files(in, item, ipath, r.name, files);

    NodeSelection how;
    r.nodes = read_nodes(
        in,
        in.require(item, ipath, "nodes",
                   "the node ids to sample: list, {range: [first, stop]}, {sample: n, seed: s} or all"),
        ipath + ".nodes", pop, how);
    r.interval_ms = in.spec.simulation.dt_ms;
    read_fields(in, item, ipath, state_table(), r);
    read_window(in, item, ipath, r);
    in.spec.state_recordings.push_back(std::move(r));
    in.node_selections.push_back(how);
}

void read_population_rate(Reader& in, const Tree& item, const std::string& ipath) {
    PopulationRateSpec r;
    read_head(in, item, ipath, rate_table(), "a population rate recording (a mapping with population and bin)",
              "population rate recording", "the population whose rates are binned", r);
    r.name = recording_name(in, item, ipath, r.population + "_rates");
    claim_files(in, item, ipath, r.name, {r.name + ".h5"});
    const double dt = in.spec.simulation.dt_ms;
    read_fields(in, item, ipath, rate_table(), r);
    if (!item.find("bin") && !(grid_steps(r.bin_ms, dt) >= 1 && fits_steps(r.bin_ms, dt)))
        in.require(item, ipath, "bin",
                   "the bin width; the default, " + q(r.bin_ms, Dimension::time) +
                       ", is not a positive multiple of dt (" + q(dt, Dimension::time) + ")");
    read_window(in, item, ipath, r);
    in.spec.population_rates.push_back(std::move(r));
}

const Table<WeightRecordingSpec>& weight_table() {
    using R = WeightRecordingSpec;
    static const Table<R> table = [] {
        Table<R> t = {
            custom_field<R>("name", nullptr, [](YAML::Emitter& out, const Reader&, const R& r) { out << r.name; }),
            custom_field<R>("projection", nullptr,
                            [](YAML::Emitter& out, const Reader&, const R& r) { out << r.projection; }),
            grid_time_field("interval", &R::interval_ms, "an interval", true)};
        for (int side = 0; side < 2; ++side)
            t.push_back(custom_field<R>(side == 0 ? "sources" : "targets", nullptr,
                                        [side](YAML::Emitter& out, const Reader& in, const R& r) {
                                            // An absent side is every node: written as all.
                                            const auto at = std::size_t(&r - in.spec.weight_recordings.data());
                                            const auto& how = in.synapse_selections[at][std::size_t(side)];
                                            if (how)
                                                write_selection(out, *how, side == 0 ? r.sources : r.targets);
                                            else
                                                out << "all";
                                        })
                            .when([](const R& r) { return r.per_synapse; }));
        for (auto& f : window_rows<R>()) t.push_back(f);
        return t;
    }();
    return table;
}

// The mean and summed weight of a plastic projection over time.
void read_weight_recording(Reader& in, const Tree& item, const std::string& ipath) {
    WeightRecordingSpec r;
    in.expect_map(item, ipath, "a weight recording (a mapping with projection and interval)");
    in.check_keys(item, ipath, keys_of(weight_table()), "a key of a weight recording");
    r.where = {item.pos.line, item.pos.column, ipath};
    const Tree& p = in.require(item, ipath, "projection", "the plastic projection whose weights are recorded");
    const std::string name = in.name(p, ipath + ".projection", "a projection name");
    std::vector<std::string> plastic;
    for (const ProjectionSpec& proj : in.spec.projections)
        if (proj.plasticity.rule != PlasticityRule::none) plastic.push_back(proj.name);
    if (std::find(plastic.begin(), plastic.end(), name) == plastic.end())
        in.fail(p.pos, ipath + ".projection", "a plastic projection " + one_of(plastic), quote(name));
    r.projection = name;
    // A projection's default name ("E->I") is no file name: the default replaces such characters.
    std::string fallback = name + "_weights";
    for (char& c : fallback)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
    r.name = recording_name(in, item, ipath, fallback);
    claim_files(in, item, ipath, r.name, {r.name + ".h5"});
    // Per synapse: `sources` and/or `targets` (node selections of the projection's populations).
    std::array<std::optional<NodeSelection>, 2> selections;
    const ProjectionSpec& proj =
        *std::find_if(in.spec.projections.begin(), in.spec.projections.end(),
                      [&](const ProjectionSpec& x) { return x.name == name; });
    for (int side = 0; side < 2; ++side) {
        const char* key = side == 0 ? "sources" : "targets";
        const Tree* v = item.find(key);
        if (!v) continue;
        NodeSelection how;
        const PopulationSpec& pop = population_named(in, side == 0 ? proj.source : proj.target);
        (side == 0 ? r.sources : r.targets) = read_nodes(in, *v, ipath + "." + key, pop, how);
        if (how.kind == NodeSelection::Kind::all) (side == 0 ? r.sources : r.targets).clear();
        selections[std::size_t(side)] = how;
        r.per_synapse = true;
    }
    read_fields(in, item, ipath, weight_table(), r);
    read_window(in, item, ipath, r);
    in.spec.weight_recordings.push_back(std::move(r));
    in.synapse_selections.push_back(selections);
}

}  // namespace

void read_recordings(Reader& in, const Tree* t) {
    auto& spikes = in.spec.spike_recordings;
    spikes.clear();
    for (auto& p : in.spec.populations) spikes.push_back(p.name);
    in.output_files["spikes.h5"] = "recordings.spikes";
    if (!t || t->is_null()) return;
    const std::vector<std::string> keys = {"spikes", "state", "population_rates", "weights"};
    in.expect_map(*t, "recordings", "a mapping of recordings (" + join(keys) + ")");
    in.check_keys(*t, "recordings", keys, "a key of recordings");
    read_list(
        in, t->find("state"), "recordings.state", "a list of state recordings",
        [&](const Tree& item, const std::string& path, std::size_t) { read_state_recording(in, item, path); });
    read_list(
        in, t->find("population_rates"), "recordings.population_rates", "a list of population rate recordings",
        [&](const Tree& item, const std::string& path, std::size_t) { read_population_rate(in, item, path); });
    read_list(
        in, t->find("weights"), "recordings.weights", "a list of weight recordings",
        [&](const Tree& item, const std::string& path, std::size_t) { read_weight_recording(in, item, path); });
    const Tree* s = t->find("spikes");
    if (!s) return;
    const std::string path = "recordings.spikes";
    if (s->is_scalar() && s->text == "all") return;
    if (!s->is_seq()) in.fail(s->pos, path, "all or a list of population names", describe(*s));
    spikes.clear();
    for (std::size_t k = 0; k < s->items.size(); ++k) {
        const std::string n = in.spec.populations[in.population_ref(s->items[k], index_path(path, k))].name;
        if (std::find(spikes.begin(), spikes.end(), n) != spikes.end())
            in.fail(s->items[k].pos, index_path(path, k), "each population once", quote(n) + " again");
        spikes.push_back(n);
    }
}

void write_recordings(YAML::Emitter& out, const Reader& in) {
    out << YAML::Key << "recordings" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "spikes" << YAML::Value << YAML::Flow << in.spec.spike_recordings;
    write_list(
        out, in, "state", in.spec.state_recordings,
        [](const StateRecordingSpec&) -> const auto& { return state_table(); });
    write_list(
        out, in, "population_rates", in.spec.population_rates,
        [](const PopulationRateSpec&) -> const auto& { return rate_table(); });
    write_list(
        out, in, "weights", in.spec.weight_recordings,
        [](const WeightRecordingSpec&) -> const auto& { return weight_table(); });
    out << YAML::EndMap;
}

}  // namespace apical::description
