// SONATA config -> NetworkSpec (io/sonata.hpp; docs/sonata.md section 3 says what is read and
// the rules applied). Nodes, types, parameters, node sets, inputs, output and reports are read
// here, once per rank (they are small: a few values per node); edges only as counts and
// ranges, their contents later per rank through SonataEdges (io/sonata/edges.hpp).
#include "io/sonata.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "io/description.hpp"
#include "io/hdf5.hpp"
#include "io/sonata/edges.hpp"
#include "io/sonata/files.hpp"
#include "io/sonata_spikes.hpp"
#include "neurons/models.hpp"

namespace apical {

bool is_sonata_config(const std::string& path) { return path.size() >= 5 && path.ends_with(".json"); }

namespace sonata {

namespace {

// The NEST and NEURON models apical reads, and the apical model of each.
const std::vector<std::pair<std::string, std::string>>& supported_templates() {
    static const std::vector<std::pair<std::string, std::string>> t = {
        {"nest:iaf_psc_alpha", "iaf_psc_alpha"},
        {"nest:iaf_psc_delta", "iaf_psc_delta"},
        {"nest:iaf_psc_exp", "iaf_psc_exp"},
        {"nest:iaf_cond_exp", "iaf_cond_exp"},
        {"nrn:IntFire1", "intfire1"},
    };
    return t;
}

// NEURON's artificial cells (nrn: templates) follow BMTK's conventions: their parameter files
// hold times in seconds (BMTK multiplies them by 1000), and the weight of an edge onto them is
// syn_weight x sign x nsyns (docs/sonata.md 4.2, 4.4).
bool is_neuron_template(const std::string& t) { return t.starts_with("nrn:"); }

std::string supported_list() {
    std::string s;
    for (auto& [k, v] : supported_templates()) s += (s.empty() ? "" : ", ") + k;
    return s;
}

// NEST's initial membrane potential of all four models (their default V_m).
constexpr double nest_initial_V_m = -70.0;
// NEST's default delay of static_synapse, used for edges that have none.
constexpr double nest_default_delay_ms = 1.0;

std::string number_text(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// One node population as read from its file.
struct NodePopulation {
    std::string name;
    fs::path file;
    std::shared_ptr<const TypeTable> types;
    fs::path models_dir;  // point_neuron_models_dir of its circuit config
    std::uint32_t size = 0;
    std::vector<std::int64_t> type_id, group_id, group_index;
    bool is_virtual = false;
    std::string model;  // apical model ("" for virtual)
    bool bmtk_weights = false;  // a NEURON cell: edges onto it take BMTK's weight rule
};

struct Loader {
    fs::path entry;
    NetworkSpec spec;
    std::vector<NodePopulation> nodes;
    YAML::Node node_sets;  // merged: circuit's, then the simulation's
    fs::path node_sets_file;

    const NodePopulation* find(const std::string& name) const {
        for (auto& p : nodes)
            if (p.name == name) return &p;
        return nullptr;
    }
    std::string population_names() const {
        std::string s;
        for (auto& p : nodes) s += (s.empty() ? "" : ", ") + p.name;
        return s;
    }

    // A group's dataset of one attribute, read whole once (node-set rules ask for it node by
    // node; opening the file per node took seconds for 10^5 nodes).
    struct GroupColumn {
        bool present = false;  // an integer or float dataset of that name in the group
        std::vector<std::int64_t> integers;
        std::vector<double> floats;
    };
    mutable std::map<std::tuple<std::string, std::int64_t, std::string>, GroupColumn> group_columns;

    const GroupColumn& group_column(const NodePopulation& p, std::int64_t group, const std::string& name) const {
        auto [it, fresh] = group_columns.try_emplace({p.name, group, name});
        if (!fresh) return it->second;
        GroupColumn& c = it->second;
        h5::Handle f = h5::open_file_for_reading(p.file);
        const std::string g = "nodes/" + p.name + "/" + std::to_string(group);
        if (h5::object_kind(f.get(), g) != H5I_GROUP) return c;
        h5::Handle grp = h5::open_group(f.get(), g);
        if (h5::object_kind(grp.get(), name) != H5I_DATASET) return c;
        h5::Handle d = h5::open_dataset(grp.get(), name);
        h5::Handle type(H5Dget_type(d.get()));
        const H5T_class_t k = H5Tget_class(type.get());
        const Ranges all{{0, h5::extent_1d(d.get())}};
        if (k == H5T_INTEGER) c.integers = read_rows_int(d.get(), all), c.present = true;
        if (k == H5T_FLOAT) c.floats = read_rows_double(d.get(), all), c.present = true;
        return c;
    }

    // Attribute `name` of node i as text: the node's group dataset first, then its type's CSV
    // column (nullopt when neither has it).
    std::optional<std::string> attribute(const NodePopulation& p, std::uint32_t i, const std::string& name) const {
        if (name == "node_type_id") return std::to_string(p.type_id[i]);
        const GroupColumn& c = group_column(p, p.group_id[i], name);
        const auto at = std::size_t(p.group_index[i]);
        if (c.present) {
            const std::size_t rows = std::max(c.integers.size(), c.floats.size());
            if (at >= rows)
                bad(p.file, "/nodes/" + p.name + "/" + std::to_string(p.group_id[i]) + "/" + name,
                    "row " + std::to_string(at) + " asked for by node_group_index of node " + std::to_string(i) +
                        ", beyond its " + std::to_string(rows) + " rows");
            return c.integers.empty() ? number_text(c.floats[at]) : std::to_string(c.integers[at]);
        }
        return p.types->value(p.type_id[i], name);
    }

    void read_nodes(const JsonFile& circuit);
    void read_edges(const JsonFile& circuit, const fs::path& synapse_dir);
    std::map<std::string, std::vector<std::uint32_t>> resolve_node_set(const YAML::Node& set, const std::string& key,
                                                                       int depth) const;
    std::map<std::string, std::vector<std::uint32_t>> node_set(const JsonFile& f, const YAML::Node& value,
                                                               const std::string& key) const;
    void population_spec(NodePopulation& p);
};

// ---- nodes -------------------------------------------------------------------------------

void Loader::read_nodes(const JsonFile& circuit) {
    const YAML::Node list = circuit.root["networks"]["nodes"];
    if (!list || !list.IsSequence()) bad(circuit.path, "networks.nodes", "expected a list of node files");
    fs::path models_dir;
    if (const YAML::Node c = circuit.root["components"]; c && c["point_neuron_models_dir"])
        models_dir = config_path(circuit, c["point_neuron_models_dir"], "components.point_neuron_models_dir");
    for (std::size_t k = 0; k < list.size(); ++k) {
        const YAML::Node e = list[k];
        const std::string key = "networks.nodes[" + std::to_string(k) + "]";
        if (e["enabled"] && e["enabled"].IsScalar() && e["enabled"].as<std::string>() == "false") continue;
        const fs::path file = config_path(circuit, e["nodes_file"], key + ".nodes_file");
        std::shared_ptr<const TypeTable> types;
        if (e["node_types_file"])
            types = std::make_shared<TypeTable>(
                read_type_table(config_path(circuit, e["node_types_file"], key + ".node_types_file"), "node_type_id"));
        else
            types = std::make_shared<TypeTable>(TypeTable{circuit.path, {"node_type_id"}, {}});
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) bad(file, "", "nodes file not found (no such file), named by " + circuit.path.string() + " " + key);
        h5::Handle f = h5::open_file_for_reading(file);
        if (h5::object_kind(f.get(), "nodes") != H5I_GROUP) bad(file, "/nodes", "no such group (not a SONATA nodes file)");
        h5::Handle all = h5::open_group(f.get(), "nodes");
        std::vector<std::string> names;
        if (e["populations"] && e["populations"].IsMap()) {
            for (auto it = e["populations"].begin(); it != e["populations"].end(); ++it)
                names.push_back(it->first.as<std::string>());
        } else {
            for (auto& n : h5::child_names(all.get()))
                if (h5::object_kind(all.get(), n) == H5I_GROUP) names.push_back(n);
        }
        for (const std::string& name : names) {
            if (find(name)) bad(file, "/nodes/" + name, "a node population of this name was read before");
            if (h5::object_kind(all.get(), name) != H5I_GROUP) bad(file, "/nodes/" + name, "no such group");
            h5::Handle pop = h5::open_group(all.get(), name);
            NodePopulation p;
            p.name = name;
            p.file = file;
            p.types = types;
            p.models_dir = models_dir;
            p.type_id = read_int_dataset(file, pop.get(), "node_type_id");
            const std::size_t n = p.type_id.size();
            if (n > std::numeric_limits<std::uint32_t>::max()) bad(file, "/nodes/" + name, "more than 2^32 - 1 nodes");
            p.size = std::uint32_t(n);
            const bool has_groups = h5::object_kind(pop.get(), "node_group_id") == H5I_DATASET;
            p.group_id = has_groups ? read_int_dataset(file, pop.get(), "node_group_id") : std::vector<std::int64_t>(n, 0);
            if (h5::object_kind(pop.get(), "node_group_index") == H5I_DATASET)
                p.group_index = read_int_dataset(file, pop.get(), "node_group_index");
            else
                for (std::size_t i = 0; i < n; ++i) p.group_index.push_back(std::int64_t(i));
            for (auto [ds, v] : {std::pair{"node_group_id", &p.group_id}, std::pair{"node_group_index", &p.group_index}})
                if (v->size() != n)
                    bad(file, "/nodes/" + name + "/" + ds,
                        std::to_string(v->size()) + " rows, but node_type_id has " + std::to_string(n));
            if (h5::object_kind(pop.get(), "node_id") == H5I_DATASET) {
                const std::vector<std::int64_t> ids = read_int_dataset(file, pop.get(), "node_id");
                for (std::size_t i = 0; i < ids.size(); ++i)
                    if (ids[i] != std::int64_t(i))
                        bad(file, "/nodes/" + name + "/node_id row " + std::to_string(i),
                            "node id " + std::to_string(ids[i]) + "; apical takes the row as the node id and needs node_id = 0, 1, ..., N-1");
            }
            for (std::size_t i = 0; i < n; ++i)
                if (!types->rows.count(p.type_id[i]))
                    bad(file, "/nodes/" + name + "/node_type_id row " + std::to_string(i),
                        "node type " + std::to_string(p.type_id[i]) + " is not in " + types->path.string());
            nodes.push_back(std::move(p));
        }
    }
}

// The spec of one node population: its model and parameter sets, or a spike source.
void Loader::population_spec(NodePopulation& p) {
    PopulationSpec ps;
    ps.name = p.name;
    ps.size = p.size;
    ps.where.key_path = p.file.string() + " /nodes/" + p.name;
    // model_type and model_template per node: group dataset (rare) or CSV.
    std::map<std::int64_t, std::pair<std::string, std::string>> by_type;  // type -> (model_type, template)
    std::set<std::string> kinds, templates;
    for (std::uint32_t i = 0; i < p.size; ++i) {
        auto [it, fresh] = by_type.try_emplace(p.type_id[i]);
        if (fresh) {
            const auto mt = p.types->value(p.type_id[i], "model_type");
            if (!mt) bad(p.types->path, "node type " + std::to_string(p.type_id[i]), "no model_type");
            it->second.first = *mt;
            it->second.second = p.types->value(p.type_id[i], "model_template").value_or("");
        }
        kinds.insert(it->second.first == "virtual" ? "virtual" : "simulated");
        if (it->second.first != "virtual") {
            if (it->second.first != "point_neuron" && it->second.first != "point_process")
                bad(p.types->path, "node type " + std::to_string(p.type_id[i]),
                    "model_type " + it->second.first + " is not supported (apical reads point_neuron, point_process and virtual nodes)");
            templates.insert(it->second.second);
        }
    }
    if (kinds.size() > 1)
        bad(p.file, "/nodes/" + p.name, "mixes virtual and simulated nodes; apical needs one kind per population");
    if (kinds.count("virtual") || p.size == 0) {
        p.is_virtual = true;
        ps.model = "spike_source";
        ps.info = find_model_info("spike_source");
        ps.entry = find_model("spike_source");
        ps.spike_times_ms.resize(p.size);
        spec.populations.push_back(std::move(ps));
        return;
    }
    // An unsupported template first (the more useful message), then one template per population.
    const auto model_of = [](const std::string& t) {
        for (auto& [k, v] : supported_templates())
            if (k == t) return v;
        return std::string();
    };
    for (const std::string& t : templates)
        if (model_of(t).empty()) {
            std::int64_t type = 0;
            for (auto& [id, mt] : by_type)
                if (mt.second == t) type = id;
            bad(p.types->path, "node type " + std::to_string(type),
                "model_template \"" + t + "\" is not supported; apical reads " + supported_list());
        }
    if (templates.size() > 1)
        bad(p.file, "/nodes/" + p.name,
            "mixes the model templates " + *templates.begin() + " and " + *std::next(templates.begin()) +
                "; apical needs one model per population");
    const std::string tmpl = *templates.begin();
    const std::string model = model_of(tmpl);
    p.model = model;
    p.bmtk_weights = is_neuron_template(tmpl);
    ps.model = model;
    ps.info = find_model_info(model);
    ps.entry = find_model(model);
    const ModelInfo& info = *ps.info;

    // Parameter sets: the dynamics_params JSON of each type, then per-node values of the
    // node's group (dynamics_params/<name> datasets).
    std::map<std::int64_t, std::map<std::string, double>> json_of_type;
    std::optional<double> initial_V;
    for (auto& [type, mt] : by_type) {
        std::map<std::string, double> values;
        if (const auto dp = p.types->value(type, "dynamics_params")) {
            const fs::path file = (fs::path(*dp).is_absolute() ? fs::path(*dp) : p.models_dir / *dp).lexically_normal();
            const YAML::Node j = read_json(file, "dynamics_params file of node type " + std::to_string(type) + " (" +
                                                     p.types->path.string() + ")");
            if (j && !j.IsNull()) {
                if (!j.IsMap()) bad(file, "", "expected a JSON object of parameters");
                for (auto it = j.begin(); it != j.end(); ++it) {
                    const std::string key = it->first.as<std::string>();
                    if (is_neuron_template(tmpl) && key == "type") continue;  // BMTK's label of the cell class
                    if (it->second.IsScalar() && (it->second.as<std::string>() == "false" || it->second.as<std::string>() == "true")) {
                        if (key == "refractory_input" && it->second.as<std::string>() == "true")
                            bad(file, key, "refractory_input true is not supported (apical discards input during the refractory period, NEST's default)");
                        continue;  // NEST's boolean switches at their defaults
                    }
                    values[key] = number_of(file, it->second, key);
                    // BMTK's seconds to milliseconds, for the time parameters of NEURON's cells.
                    if (const ParameterInfo* pi = info.find_parameter(key); pi && pi->dim == Dimension::time && is_neuron_template(tmpl))
                        values[key] *= 1000.0;
                }
            }
            for (auto& [key, v] : values) {
                if (key == "V_m") {
                    if (!info.find_state("V_m"))
                        bad(file, key, "an initial membrane potential, but " + tmpl + " has none (its state starts at 0)");
                    if (initial_V && *initial_V != v)
                        bad(file, key, "initial V_m differs between the node types of population " + p.name + "; apical needs one");
                    initial_V = v;
                    continue;
                }
                const ParameterInfo* pi = info.find_parameter(key);
                if (!pi) {
                    std::string names;
                    for (auto& q : info.parameters) names += (names.empty() ? "" : ", ") + q.name;
                    bad(file, key, "not a parameter of " + tmpl + " in apical (parameters: " + names + ", and V_m for the initial potential)");
                }
                const bool ok = pi->strictly_positive ? v > 0 : (v >= pi->min && v <= pi->max);
                if (!ok || std::isnan(v))
                    bad(file, key, number_text(v) + " is out of range for " + key + (pi->strictly_positive ? " (must be > 0)" : ""));
                if (pi->max_steps > 0 && !fits_steps(v, spec.simulation.dt_ms, pi->max_steps))
                    bad(file, key, number_text(v) + " ms is too many steps of dt");
            }
        }
        json_of_type[type] = values;
    }
    // Per-node overrides from the groups' dynamics_params subgroups.
    std::vector<std::map<std::string, double>> per_node(p.size);
    {
        h5::Handle f = h5::open_file_for_reading(p.file);
        std::set<std::int64_t> groups(p.group_id.begin(), p.group_id.end());
        for (std::int64_t g : groups) {
            const std::string path = "nodes/" + p.name + "/" + std::to_string(g) + "/dynamics_params";
            if (h5::object_kind(f.get(), path) != H5I_GROUP) continue;
            h5::Handle dp = h5::open_group(f.get(), path);
            for (const std::string& key : h5::child_names(dp.get())) {
                if (!info.find_parameter(key)) bad(p.file, "/" + path + "/" + key, "not a parameter of " + tmpl + " in apical");
                const std::vector<double> v = h5::read_all<double>(h5::open_dataset(dp.get(), key).get());
                for (std::uint32_t i = 0; i < p.size; ++i)
                    if (p.group_id[i] == g) {
                        if (std::uint64_t(p.group_index[i]) >= v.size())
                            bad(p.file, "/" + path + "/" + key, "row " + std::to_string(p.group_index[i]) + " asked for by node_group_index, beyond its " + std::to_string(v.size()) + " rows");
                        per_node[i][key] = v[std::size_t(p.group_index[i])] *
                                           (is_neuron_template(tmpl) && info.find_parameter(key)->dim == Dimension::time ? 1000.0 : 1.0);
                    }
            }
        }
    }
    std::map<std::map<std::string, double>, std::uint32_t> set_index;
    for (std::uint32_t i = 0; i < p.size; ++i) {
        std::map<std::string, double> q;
        for (auto& pi : info.parameters) q[pi.name] = pi.default_value;
        for (auto& [k, v] : json_of_type.at(p.type_id[i]))
            if (k != "V_m") q[k] = v;
        for (auto& [k, v] : per_node[i]) q[k] = v;
        auto [it, fresh] = set_index.try_emplace(q, std::uint32_t(ps.parameter_sets.size()));
        if (fresh) {
            if (info.check) {
                const std::string expected = info.check(q, spec.simulation.dt_ms);
                if (!expected.empty())
                    bad(p.types->path, "node type " + std::to_string(p.type_id[i]),
                        "its parameters need " + expected + " (" + tmpl + ")");
            }
            ps.parameter_sets.push_back(q);
        }
        ps.parameter_set_of_node.push_back(it->second);
    }
    ps.parameters = ps.parameter_sets.empty() ? std::map<std::string, double>{} : ps.parameter_sets.front();
    if (ps.parameter_sets.size() == 1) {
        ps.parameter_sets.clear();
        ps.parameter_set_of_node.clear();
    } else if (!info.per_neuron_parameters) {
        bad(p.file, "/nodes/" + p.name,
            std::to_string(ps.parameter_sets.size()) + " different parameter sets, but apical's " + model +
                " takes one per population (only iaf_psc_alpha takes one per neuron so far)");
    }
    if (info.find_state("V_m")) {
        Distribution v0;
        v0.value = initial_V.value_or(nest_initial_V_m);
        ps.initial["V_m"] = v0;
    }
    spec.populations.push_back(std::move(ps));
}

// ---- node sets ---------------------------------------------------------------------------

std::map<std::string, std::vector<std::uint32_t>> Loader::resolve_node_set(const YAML::Node& set,
                                                                           const std::string& key, int depth) const {
    if (depth > 32) bad(node_sets_file, key, "node sets refer to each other in a cycle");
    std::map<std::string, std::vector<std::uint32_t>> out;
    if (set.IsSequence()) {  // compound: the union of named sets
        for (std::size_t k = 0; k < set.size(); ++k) {
            const std::string name = set[k].as<std::string>();
            const YAML::Node inner = node_sets[name];
            if (!inner) bad(node_sets_file, key, "compound node set names \"" + name + "\", which is not defined");
            for (auto& [pop, ids] : resolve_node_set(inner, name, depth + 1)) {
                auto& v = out[pop];
                v.insert(v.end(), ids.begin(), ids.end());
            }
        }
    } else if (set.IsMap()) {
        std::vector<std::string> pops;
        if (const YAML::Node p = set["population"]) {
            if (p.IsSequence())
                for (auto x : p) pops.push_back(x.as<std::string>());
            else
                pops.push_back(p.as<std::string>());
            for (auto& name : pops)
                if (!find(name)) bad(node_sets_file, key + ".population", "no node population \"" + name + "\" (populations: " + population_names() + ")");
        } else {
            for (auto& n : nodes) pops.push_back(n.name);
        }
        for (auto& name : pops) {
            const NodePopulation& np = *find(name);
            std::vector<std::uint32_t> ids;
            if (const YAML::Node l = set["node_id"]) {
                for (auto x : l) {
                    const double v = number_of(node_sets_file, x, key + ".node_id");
                    if (!(v >= 0 && v < np.size && v == std::floor(v)))
                        bad(node_sets_file, key + ".node_id", "node id " + number_text(v) + " outside population \"" + name + "\" of " + std::to_string(np.size) + " nodes");
                    ids.push_back(std::uint32_t(v));
                }
            } else {
                for (std::uint32_t i = 0; i < np.size; ++i) ids.push_back(i);
            }
            for (auto it = set.begin(); it != set.end(); ++it) {
                const std::string attr = it->first.as<std::string>();
                if (attr == "population" || attr == "node_id") continue;
                std::vector<std::string> wanted;
                if (it->second.IsSequence())
                    for (auto x : it->second) wanted.push_back(x.as<std::string>());
                else if (it->second.IsScalar())
                    wanted.push_back(it->second.as<std::string>());
                else
                    bad(node_sets_file, key + "." + attr, "expected a value or a list of values (operators such as $regex are not supported)");
                const auto matches = [&](const std::string& have) {
                    for (auto& w : wanted) {
                        if (w == have) return true;
                        char* e1 = nullptr;
                        char* e2 = nullptr;
                        const double a = std::strtod(w.c_str(), &e1), b = std::strtod(have.c_str(), &e2);
                        if (!w.empty() && !have.empty() && *e1 == 0 && *e2 == 0 && a == b) return true;
                    }
                    return false;
                };
                std::vector<std::uint32_t> kept;
                for (std::uint32_t i : ids) {
                    const auto v = attribute(np, i, attr);
                    if (v && matches(*v)) kept.push_back(i);
                }
                ids = std::move(kept);
            }
            auto& v = out[name];
            v.insert(v.end(), ids.begin(), ids.end());
        }
    } else {
        bad(node_sets_file, key, "expected a node set (an object of rules or a list of node set names)");
    }
    for (auto& [pop, ids] : out) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    return out;
}

// The nodes a config value names: a node set's name, a population's name (when no node set
// has that name), or an inline node set.
std::map<std::string, std::vector<std::uint32_t>> Loader::node_set(const JsonFile& f, const YAML::Node& value,
                                                                   const std::string& key) const {
    if (value.IsMap()) return resolve_node_set(value, key, 0);
    const std::string name = text_of(f, value, key);
    if (const YAML::Node s = node_sets[name]) return resolve_node_set(s, name, 0);
    if (const NodePopulation* p = find(name)) {
        std::vector<std::uint32_t> all(p->size);
        for (std::uint32_t i = 0; i < p->size; ++i) all[i] = i;
        return {{name, all}};
    }
    std::string defined;
    for (auto it = node_sets.begin(); it != node_sets.end(); ++it) defined += (defined.empty() ? "" : ", ") + it->first.as<std::string>();
    bad(f.path, key, "\"" + name + "\" is neither a node set (" + (defined.empty() ? "none defined" : defined) +
                         ") nor a node population (" + population_names() + ")");
}

// ---- edges -------------------------------------------------------------------------------

void Loader::read_edges(const JsonFile& circuit, const fs::path& synapse_dir) {
    const YAML::Node list = circuit.root["networks"]["edges"];
    if (!list) return;
    if (!list.IsSequence()) bad(circuit.path, "networks.edges", "expected a list of edge files");
    const double dt = spec.simulation.dt_ms;
    for (std::size_t k = 0; k < list.size(); ++k) {
        const YAML::Node e = list[k];
        const std::string key = "networks.edges[" + std::to_string(k) + "]";
        if (e["enabled"] && e["enabled"].IsScalar() && e["enabled"].as<std::string>() == "false") continue;
        const fs::path file = config_path(circuit, e["edges_file"], key + ".edges_file");
        if (!e["edge_types_file"]) bad(circuit.path, key, "no edge_types_file");
        auto types = std::make_shared<TypeTable>(
            read_type_table(config_path(circuit, e["edge_types_file"], key + ".edge_types_file"), "edge_type_id"));
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) bad(file, "", "edges file not found (no such file), named by " + circuit.path.string() + " " + key);
        h5::Handle f = h5::open_file_for_reading(file);
        if (h5::object_kind(f.get(), "edges") != H5I_GROUP) bad(file, "/edges", "no such group (not a SONATA edges file)");
        h5::Handle all = h5::open_group(f.get(), "edges");
        for (const std::string& name : h5::child_names(all.get())) {
            if (h5::object_kind(all.get(), name) != H5I_GROUP) continue;
            h5::Handle pop = h5::open_group(all.get(), name);
            const std::string where = "/edges/" + name;
            EdgePopulation ep;
            ep.file = file;
            ep.name = name;
            ep.types = types;
            ep.dt_ms = dt;
            ep.default_delay_ms = nest_default_delay_ms;
            for (auto [ds, out] : {std::pair{"source_node_id", &ep.source}, std::pair{"target_node_id", &ep.target}}) {
                if (h5::object_kind(pop.get(), ds) != H5I_DATASET) bad(file, where + "/" + ds, "no such dataset");
                h5::Handle d = h5::open_dataset(pop.get(), ds);
                if (!h5::attribute_exists(d.get(), "node_population"))
                    bad(file, where + "/" + ds, "no attribute node_population (which node population the ids belong to)");
                *out = h5::read_string_attribute(d.get(), "node_population");
                if (!find(*out))
                    bad(file, where + "/" + ds, "node_population \"" + *out + "\" is not a node population of the circuit (" + population_names() + ")");
            }
            ep.n_edges = h5::extent_1d(h5::open_dataset(pop.get(), "source_node_id").get());
            ep.n_sources = find(ep.source)->size;
            ep.n_targets = find(ep.target)->size;
            ep.bmtk_weights = find(ep.target)->bmtk_weights;
            if (find(ep.target)->is_virtual)
                bad(file, where + "/target_node_id", "edges onto virtual population \"" + ep.target + "\" (virtual nodes take no input)");
            if (spec.populations.size() > 0 && std::find_if(spec.projections.begin(), spec.projections.end(), [&](auto& p) { return p.name == name; }) != spec.projections.end())
                bad(file, where, "an edge population of this name was read before");
            // Per type: weight, delay, template and weight function of the CSV.
            bool any_missing_delay = false, any_nsyns = types->column("nsyns") >= 0;
            double lo_w = std::numeric_limits<double>::infinity(), hi_w = -lo_w;
            double lo_d = std::numeric_limits<double>::infinity(), hi_d = -lo_d;
            for (auto& type_row : types->rows) {
                const auto id = type_row.first;  // not a structured binding: clang 14 cannot capture those in a lambda
                const std::string at = "edge type " + std::to_string(id);
                const auto num = [&](const char* col) -> std::optional<double> {
                    const auto v = types->value(id, col);
                    if (!v) return std::nullopt;
                    char* end = nullptr;
                    const double x = std::strtod(v->c_str(), &end);
                    if (v->empty() || *end != 0 || !std::isfinite(x)) bad(types->path, at + ", column " + col, "expected a number, found \"" + *v + "\"");
                    return x;
                };
                ep.type_weight[id] = num("syn_weight");
                ep.type_delay[id] = num("delay");
                ep.type_nsyns[id] = num("nsyns");
                if (ep.bmtk_weights && ep.type_nsyns[id] && !(*ep.type_nsyns[id] >= 0))
                    bad(types->path, at + ", column nsyns", "expected a number of synapses (>= 0), found " + number_text(*ep.type_nsyns[id]));
                ep.type_sign[id] = 1.0;
                if (ep.type_weight[id]) lo_w = std::min(lo_w, *ep.type_weight[id]), hi_w = std::max(hi_w, *ep.type_weight[id]);
                const double d = ep.type_delay[id].value_or(nest_default_delay_ms);
                lo_d = std::min(lo_d, d), hi_d = std::max(hi_d, d);
                if (!ep.type_delay[id]) any_missing_delay = true;
                if (const auto t = types->value(id, "model_template"); t && *t != "static_synapse" && *t != "nest:static_synapse")
                    bad(types->path, at + ", column model_template", "\"" + *t + "\" is not supported; apical reads static_synapse edges");
                if (const auto wf = types->value(id, "weight_function"); wf && *wf != "wmax" && *wf != "default_weight_fnc")
                    bad(types->path, at + ", column weight_function",
                        "\"" + *wf + "\" is a BMTK Python function apical cannot evaluate (supported: wmax, default_weight_fnc, or none)");
                if (const auto dp = types->value(id, "dynamics_params"); dp && !synapse_dir.empty()) {
                    const fs::path jf = (synapse_dir / *dp).lexically_normal();
                    const YAML::Node j = read_json(jf, "dynamics_params file of edge type " + std::to_string(id) + " (" + types->path.string() + ")");
                    if (ep.bmtk_weights && j && j.IsMap() && j["sign"]) ep.type_sign[id] = number_of(jf, j["sign"], "sign");
                    if (!ep.bmtk_weights && j && j.IsMap() && j.size() > 0)
                        spec.warnings.push_back(jf.string() + ": synapse parameters ignored (apical's static synapses take only syn_weight and delay)");
                }
            }
            // Per-edge datasets of the groups. Their ranges serve only the memory estimate:
            // per-edge weights are taken to have both signs (not read here), per-edge delays
            // are scanned in blocks (their range sizes the ring buffers), once per rank.
            bool per_edge_weight = false, per_edge_delay = false;
            for (const std::string& g : h5::child_names(pop.get())) {
                if (g.empty() || !std::all_of(g.begin(), g.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) continue;
                h5::Handle gh = h5::open_group(pop.get(), g);
                if (h5::object_kind(gh.get(), "nsyns") == H5I_DATASET) any_nsyns = true;
                if (h5::object_kind(gh.get(), "syn_weight") == H5I_DATASET || (ep.bmtk_weights && any_nsyns)) {
                    per_edge_weight = true;
                    lo_w = std::min(lo_w, -1.0), hi_w = std::max(hi_w, 1.0);
                }
                if (h5::object_kind(gh.get(), "delay") != H5I_DATASET) continue;
                per_edge_delay = true;
                h5::Handle d = h5::open_dataset(gh.get(), "delay");
                const std::uint64_t n = h5::extent_1d(d.get());
                for (std::uint64_t a = 0; a < n; a += (1u << 20))
                    for (double x : read_rows_double(d.get(), Ranges{{a, std::min(n, a + (1u << 20))}}))
                        lo_d = std::min(lo_d, x), hi_d = std::max(hi_d, x);
            }
            if (per_edge_delay) any_missing_delay = false;  // the CSV's missing delays may be covered per edge
            ProjectionSpec proj;
            proj.name = name;
            proj.source = ep.source;
            proj.target = ep.target;
            proj.rule = ConnectionRule::explicit_edges;
            proj.degree = ep.n_edges;
            proj.where.key_path = file.string() + " " + where;
            const auto range = [](double lo, double hi) {
                Distribution d;
                d.kind = Distribution::Kind::uniform;
                d.low = std::isfinite(lo) ? lo : 0.0;
                d.high = std::isfinite(hi) ? hi : 0.0;
                return d;
            };
            proj.weight = range(lo_w, hi_w);
            proj.delay = range(std::clamp(lo_d, 0.0, 65535 * dt), std::clamp(hi_d, 0.0, 65535 * dt));
            if (ep.bmtk_weights) lo_w = std::min(lo_w, -1.0), hi_w = std::max(hi_w, 1.0);  // signs from the synapse files
            spec.notes.push_back("edge population " + name + " (" + ep.source + " -> " + ep.target + ", " +
                                 std::to_string(ep.n_edges) + " edges): weight = syn_weight" +
                                 (ep.bmtk_weights ? " x sign x nsyns (BMTK's rule onto NEURON cells)" : "") + " (" +
                                 (per_edge_weight ? "per edge" : "per edge type") + "), delay = " +
                                 (per_edge_delay ? "per edge" : "per edge type") +
                                 (any_missing_delay ? "; no delay given for some types: NEST's default " + number_text(nest_default_delay_ms) + " ms" : "") +
                                 (any_nsyns && !ep.bmtk_weights ? "; nsyns ignored (NEST's rule)" : ""));
            if (any_missing_delay && !per_edge_delay)
                spec.warnings.push_back(types->path.string() + ": edge population " + name + ": no delay for some edge types; using NEST's default of " + number_text(nest_default_delay_ms) + " ms");
            proj.edges = std::make_shared<SonataEdges>(std::move(ep));
            spec.projections.push_back(std::move(proj));
        }
    }
}

// An input spike time as NEST's spike_train_injector with off-grid times takes it: rounded to
// NEST's tic grid (1 µs, its default) when dt is a whole number of tics. The spike source keeps
// it exact (for exact event-driven targets); its grid step, the end of the step that contains
// it, is where grid-based targets receive it (neurons/spike_source.hpp).
double input_time(double t_ms, double dt_ms) {
    const double tics_per_ms = 1000.0;
    const double tics_per_step = std::round(dt_ms * tics_per_ms);
    if (tics_per_step >= 1 && std::abs(tics_per_step - dt_ms * tics_per_ms) < 1e-9 * tics_per_step)
        return std::floor(t_ms * tics_per_ms + 0.5) / tics_per_ms;
    return t_ms;
}

}  // namespace

NetworkSpec load(const std::string& path, const std::vector<std::string>& overrides) {
    Loader L;
    L.entry = path;
    // The simulation config and the circuit config: one file holding both, two files (the
    // simulation config names the circuit config under "network"), or BMTK's config.json
    // naming both.
    // (YAML::Node assignment writes through to the node referred to: configs are never
    // assigned, only constructed.)
    const JsonFile entry = read_config(path, "SONATA config");
    const bool bmtk_pair = entry.root["simulation"] && entry.root["simulation"].IsScalar() && !entry.root["run"];
    const JsonFile sim =
        bmtk_pair ? read_config(config_path(entry, entry.root["simulation"], "simulation"), "simulation config") : entry;
    fs::path network;
    if (!sim.root["networks"]) {
        if (sim.root["network"])
            network = config_path(sim, sim.root["network"], "network");
        else if (bmtk_pair && entry.root["network"])
            network = config_path(entry, entry.root["network"], "network");
        else
            bad(sim.path, "", "no \"network\" (the circuit config) and no \"networks\"");
    }
    const JsonFile circuit = network.empty() ? sim : read_config(network, "circuit config");
    if (!circuit.root["networks"]) bad(circuit.path, "", "no \"networks\" (a circuit config lists its nodes and edges there)");

    // run
    const YAML::Node run = sim.root["run"];
    if (!run || !run.IsMap()) bad(sim.path, "run", "expected a run section with dt and tstop");
    if (!run["dt"]) bad(sim.path, "run.dt", "missing (the integration step in ms)");
    if (!run["tstop"]) bad(sim.path, "run.tstop", "missing (the end of the run in ms)");
    SimulationSpec s;
    s.dt_ms = number_of(sim.path, run["dt"], "run.dt");
    s.t_stop_ms = number_of(sim.path, run["tstop"], "run.tstop");
    if (run["tstart"] && number_of(sim.path, run["tstart"], "run.tstart") != 0.0)
        bad(sim.path, "run.tstart", "a start other than 0 is not supported");
    if (run["random_seed"]) s.seed = std::uint32_t(number_of(sim.path, run["random_seed"], "run.random_seed"));
    const YAML::Node output = sim.root["output"];
    s.output_dir = (output && output["output_dir"] ? config_path(sim, output["output_dir"], "output.output_dir")
                                                   : (sim.dir / "output").lexically_normal())
                       .string();
    s.output_where.key_path = "output.output_dir";
    // The config's values are checked as a description's simulation section, with the overrides.
    L.spec.simulation = override_simulation(s, overrides, path);
    NetworkSpec& spec = L.spec;
    spec.file = path;
    L.spec.notes.push_back("SONATA: simulation config " + sim.path.string() + ", circuit config " + circuit.path.string());

    // Nodes, in the order of the circuit config: gids follow it.
    L.read_nodes(circuit);
    for (auto& p : L.nodes) L.population_spec(p);

    // Node sets: the circuit's, then the simulation's (which win).
    L.node_sets = YAML::Node(YAML::NodeType::Map);
    for (const JsonFile* f : {&circuit, &sim}) {
        if (!f->root["node_sets_file"]) continue;
        L.node_sets_file = config_path(*f, f->root["node_sets_file"], "node_sets_file");
        const YAML::Node n = read_json(L.node_sets_file, "node sets file");
        if (!n.IsMap()) bad(L.node_sets_file, "", "expected a JSON object of node sets");
        for (auto it = n.begin(); it != n.end(); ++it) L.node_sets[it->first.as<std::string>()] = it->second;
    }
    if (L.node_sets_file.empty()) L.node_sets_file = sim.path;

    // Inputs: spike trains into virtual populations.
    if (const YAML::Node inputs = sim.root["inputs"]) {
        for (auto it = inputs.begin(); it != inputs.end(); ++it) {
            const std::string name = it->first.as<std::string>();
            const std::string key = "inputs." + name;
            const YAML::Node in = it->second;
            const std::string type = in["input_type"] ? text_of(sim, in["input_type"], key + ".input_type") : "";
            const std::string module = in["module"] ? text_of(sim, in["module"], key + ".module") : "";
            if (type != "spikes" || (module != "h5" && module != "sonata" && module != "hdf5"))
                bad(sim.path, key, "input_type \"" + type + "\" with module \"" + module +
                                       "\" is not supported; apical reads input_type spikes with module h5, sonata or hdf5");
            if (!in["node_set"]) bad(sim.path, key + ".node_set", "missing (the virtual population the spikes feed)");
            const auto nodes = L.node_set(sim, in["node_set"], key + ".node_set");
            if (nodes.size() != 1) bad(sim.path, key + ".node_set", "names nodes of " + std::to_string(nodes.size()) + " populations; an input feeds one virtual population");
            const std::string pop = nodes.begin()->first;
            const NodePopulation* np = L.find(pop);
            if (!np->is_virtual) bad(sim.path, key + ".node_set", "population \"" + pop + "\" is not virtual; spike inputs feed virtual nodes");
            const fs::path file = config_path(sim, in["input_file"], key + ".input_file");
            PopulationSpec* ps = nullptr;
            for (auto& p : spec.populations)
                if (p.name == pop) ps = &p;
            const std::set<std::uint32_t> allowed(nodes.begin()->second.begin(), nodes.begin()->second.end());
            std::size_t n = 0;
            for (auto [node, t] : read_sonata_spikes(file, pop)) {
                if (node >= np->size)
                    bad(file, "/spikes", "node id " + std::to_string(node) + " outside population \"" + pop + "\" of " + std::to_string(np->size) + " nodes");
                if (!(t >= 0) || !std::isfinite(t)) bad(file, "/spikes", "a spike time of " + number_text(t) + " ms");
                if (!allowed.count(std::uint32_t(node))) continue;
                const double time = input_time(t, spec.simulation.dt_ms);
                if (time > spec.simulation.t_stop_ms + spec.simulation.dt_ms) continue;  // never delivered
                ps->spike_times_ms[node].push_back(time);
                ++n;
            }
            ps->exact_spike_times = true;
            spec.notes.push_back("input " + name + ": " + std::to_string(n) + " spikes of " + file.string() +
                                 " into " + pop + ", at their exact times for exact event-driven targets, at the end of their step for the others (NEST's spike_train_injector)");
        }
    }

    // Edges.
    fs::path synapse_dir;
    if (const YAML::Node c = circuit.root["components"]; c && c["synaptic_models_dir"])
        synapse_dir = config_path(circuit, c["synaptic_models_dir"], "components.synaptic_models_dir");
    L.read_edges(circuit, synapse_dir);

    // Output: spikes of every simulated population.
    for (auto& p : L.nodes)
        if (!p.is_virtual) spec.spike_recordings.push_back(p.name);
    if (output && output["spikes_file"] && text_of(sim, output["spikes_file"], "output.spikes_file") != "spikes.h5")
        spec.warnings.push_back(sim.path.string() + ": output.spikes_file \"" + text_of(sim, output["spikes_file"], "output.spikes_file") +
                                "\": apical writes its spikes to spikes.h5");

    // Reports: membrane potential (and other state variables) of some nodes.
    if (const YAML::Node reports = sim.root["reports"]) {
        for (auto it = reports.begin(); it != reports.end(); ++it) {
            const std::string name = it->first.as<std::string>();
            const std::string key = "reports." + name;
            const YAML::Node r = it->second;
            if (r["enabled"] && r["enabled"].as<std::string>() == "false") continue;
            const YAML::Node cells = r["cells"] ? r["cells"] : r["node_set"];
            if (!cells) bad(sim.path, key + ".cells", "missing (the node set to record)");
            const auto nodes = L.node_set(sim, cells, key + ".cells");
            if (nodes.size() != 1) bad(sim.path, key + ".cells", "names nodes of " + std::to_string(nodes.size()) + " populations; apical records one population per report");
            const std::string pop = nodes.begin()->first;
            const PopulationSpec* ps = nullptr;
            for (auto& p : spec.populations)
                if (p.name == pop) ps = &p;
            if (ps->info->is_spike_source) bad(sim.path, key + ".cells", "population \"" + pop + "\" is virtual (no state to record)");
            std::string var = r["variable_name"] ? text_of(sim, r["variable_name"], key + ".variable_name") : "V_m";
            if (var == "v") var = "V_m";
            const StateInfo* st = ps->info->find_state(var);
            if (!st) {
                std::string names;
                for (auto& x : ps->info->state) names += (names.empty() ? "" : ", ") + x.name;
                bad(sim.path, key + ".variable_name", "\"" + var + "\" is not a state variable of " + ps->model + " (" + names + ")");
            }
            StateRecordingSpec rec;
            rec.name = name;
            rec.population = pop;
            rec.variables = {int(st - ps->info->state.data())};
            rec.nodes = nodes.begin()->second;
            const double dt = spec.simulation.dt_ms;
            rec.interval_ms = r["dt"] ? number_of(sim.path, r["dt"], key + ".dt") : dt;
            const double k = std::round(rec.interval_ms / dt);
            if (!(k >= 1 && std::abs(k * dt - rec.interval_ms) <= 1e-9 * rec.interval_ms))
                bad(sim.path, key + ".dt", "a multiple of the run's dt (" + number_text(dt) + " ms), found " + number_text(rec.interval_ms));
            rec.interval_ms = k * dt;
            rec.start_ms = r["start_time"] ? number_of(sim.path, r["start_time"], key + ".start_time") : 0.0;
            rec.stop_ms = r["end_time"] ? number_of(sim.path, r["end_time"], key + ".end_time") : 1e300;
            if (!(rec.start_ms >= 0) || !fits_steps(rec.start_ms, dt)) bad(sim.path, key + ".start_time", "a time of at least 0 ms");
            rec.start_ms = double(to_steps(rec.start_ms, dt)) * dt;
            rec.file_name = r["file_name"] ? text_of(sim, r["file_name"], key + ".file_name") : name + ".h5";
            if (!rec.file_name.ends_with(".h5")) rec.file_name += ".h5";
            if (rec.file_name == "spikes.h5" || rec.file_name.find('/') != std::string::npos)
                bad(sim.path, key + ".file_name", "a file name other than spikes.h5, without folders");
            for (auto& other : spec.state_recordings)
                if (other.file_name == rec.file_name) bad(sim.path, key + ".file_name", "\"" + rec.file_name + "\" is the file of report " + other.name + " as well");
            rec.where.key_path = key;
            spec.state_recordings.push_back(std::move(rec));
        }
    }
    if (const YAML::Node c = sim.root["conditions"]; c && c["v_init"])
        spec.notes.push_back("conditions.v_init ignored: cells start at their model's initial V_m (NEST's default, -70 mV), as NEST does");
    if (sim.root["node_set"]) spec.warnings.push_back(sim.path.string() + ": node_set ignored: apical simulates every non-virtual node");

    // What was read, for /apical/description and `apical check`.
    YAML::Emitter out;
    out << YAML::Comment("apical: the SONATA network read from " + path);
    out << YAML::BeginMap;
    out << YAML::Key << "sonata" << YAML::Value << YAML::BeginMap << YAML::Key << "simulation_config" << YAML::Value
        << sim.path.string() << YAML::Key << "circuit_config" << YAML::Value << circuit.path.string() << YAML::EndMap;
    out << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "dt" << YAML::Value << number_text(spec.simulation.dt_ms) + " ms";
    out << YAML::Key << "t_stop" << YAML::Value << number_text(spec.simulation.t_stop_ms) + " ms";
    out << YAML::Key << "seed" << YAML::Value << spec.simulation.seed;
    out << YAML::Key << "threads" << YAML::Value << spec.simulation.threads;
    out << YAML::Key << "output" << YAML::Value << spec.simulation.output_dir << YAML::EndMap;
    out << YAML::Key << "populations" << YAML::Value << YAML::BeginSeq;
    for (auto& p : spec.populations) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "model" << YAML::Value
            << p.model << YAML::Key << "size" << YAML::Value << p.size;
        const auto params = [&](const std::map<std::string, double>& q) {
            out << YAML::Flow << YAML::BeginMap;
            for (auto& [k, v] : q) out << YAML::Key << k << YAML::Value << v;
            out << YAML::EndMap;
        };
        if (!p.info->is_spike_source) {
            if (p.parameter_sets.empty()) {
                out << YAML::Key << "parameters" << YAML::Value;
                params(p.parameters);
            } else {
                out << YAML::Key << "parameter_sets" << YAML::Value << YAML::BeginSeq;
                for (auto& q : p.parameter_sets) params(q);
                out << YAML::EndSeq;
            }
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::Key << "edges" << YAML::Value << YAML::BeginSeq;
    for (auto& pr : spec.projections)
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << pr.name << YAML::Key << "source"
            << YAML::Value << pr.source << YAML::Key << "target" << YAML::Value << pr.target << YAML::Key << "edges"
            << YAML::Value << pr.degree << YAML::EndMap;
    out << YAML::EndSeq << YAML::Key << "notes" << YAML::Value << YAML::BeginSeq;
    for (auto& n : spec.notes) out << n;
    out << YAML::EndSeq << YAML::EndMap;
    spec.resolved_yaml = std::string(out.c_str()) + "\n";
    return std::move(L.spec);
}

}  // namespace sonata

NetworkSpec load_sonata(const std::string& path, const std::vector<std::string>& overrides) {
    try {
        return sonata::load(path, overrides);
    } catch (const RuntimeFailure& e) {  // an unreadable input file is the user's to fix
        throw UserError(printable_line(path + ": " + e.what()));
    } catch (const YAML::Exception& e) {  // a JSON value of the wrong kind
        throw UserError(printable_line(path + ": unexpected JSON value: " + e.what()));
    }
}

}  // namespace apical
