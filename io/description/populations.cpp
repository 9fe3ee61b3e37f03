// The populations section: a population's model, size and the model-specific fields its
// ModelInfo declares (parameters, options, initial state), or a spike_source's spike times.
// These are structural (they depend on the model), so they have their own code, reading
// values with the Reader's per-kind readers.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/description/sections.hpp"
#include "io/sonata_spikes.hpp"
#include "neurons/models.hpp"

namespace apical::description {

namespace fs = std::filesystem;

namespace {

bool valid_population_name(const std::string& n) {
    if (n.empty()) return false;
    auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!letter(n[0])) return false;
    for (char c : n)
        if (!letter(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

// The model, resolved once: the spec keeps the registry entry and its ModelInfo.
void read_model(Reader& in, const Tree& t, const std::string& path, PopulationSpec& p) {
    const auto models = model_names();
    p.entry = find_model(models[in.choice(t, path, "a model name", models)]);
    p.info = &p.entry->info();
    p.model = p.info->name;
}

// The fields every population has; the others depend on its model (below).
const Table<PopulationSpec>& head_table() {
    using P = PopulationSpec;
    static const Table<P> table = {
        custom_field<P>("model", &read_model,
                        [](YAML::Emitter& out, const Reader&, const P& p) { out << p.model; })
            .require("the neuron model, one of: " + join(model_names())),
        integer_field("size", &P::size, 1, max_gids, "a positive integer")
            .require("the number of neurons, a positive integer"),
    };
    return table;
}

void read_spike_times(const Reader& in, PopulationSpec& pop, const Tree& t, const std::string& path) {
    if (!t.is_seq())
        in.fail(t.pos, path, "a list with one list of spike times per node, e.g. [[1 ms, 5.5 ms], [2 ms]]",
                describe(t));
    if (t.items.size() != pop.size)
        in.fail(t.pos, path,
                "one list of spike times per node (" + std::to_string(pop.size) + " lists, the size of " +
                    pop.name + ")",
                std::to_string(t.items.size()) + (t.items.size() == 1 ? " list" : " lists"));
    pop.spike_times_ms.assign(pop.size, {});
    for (std::size_t n = 0; n < t.items.size(); ++n) {
        const Tree& node = t.items[n];
        const std::string npath = index_path(path, n);
        if (node.is_null()) continue;  // "- " : no spikes
        if (!node.is_seq())
            in.fail(node.pos, npath, "a list of spike times, e.g. [1 ms, 5.5 ms]", describe(node));
        auto& out = pop.spike_times_ms[n];
        for (std::size_t k = 0; k < node.items.size(); ++k) {
            const double v = in.quantity(node.items[k], index_path(npath, k), Dimension::time);
            if (!(v >= 0))
                in.fail(node.items[k].pos, index_path(npath, k), "a spike time of at least 0 ms",
                        q(v, Dimension::time));
            in.check_steps(node.items[k], index_path(npath, k), v, "a spike time");
            out.push_back(v);
        }
        std::sort(out.begin(), out.end());
    }
}

void read_spike_file(Reader& in, PopulationSpec& pop, const Tree& t, const std::string& path) {
    in.expect_map(t, path, "a mapping {path: FILE.h5, population: NAME}");
    in.check_keys(t, path, {"path", "population"}, "a key of spike_file");
    const Tree& p = in.require(t, path, "path", "a SONATA spike file, relative to the description's folder");
    const std::string ppath = path + ".path";
    fs::path file = in.name(p, ppath, "a SONATA spike file (a path)");
    if (file.is_relative()) file = in.base_dir / file;
    std::string population;
    if (const Tree* pp = t.find("population"))
        population = in.name(*pp, path + ".population", "a population name in the file");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        in.fail(p.pos, ppath, "a readable SONATA spike file",
                quote(file.string()) + (fs::exists(file, ec) ? " (not a regular file)" : " (no such file)"));
    std::vector<std::pair<std::uint64_t, double>> spikes;
    try {
        spikes = read_sonata_spikes(file, population);
    } catch (const UserError& e) {
        in.fail(p.pos, ppath, "a readable SONATA spike file", e.what());
    } catch (const RuntimeFailure& e) {
        in.fail(p.pos, ppath, "a readable SONATA spike file", e.what());
    }
    std::uint64_t n_nodes = 0;  // up to the highest node id that spikes
    for (auto& [node, time] : spikes) {
        n_nodes = std::max(n_nodes, node + 1);
        if (node >= pop.size)
            in.fail(p.pos, ppath,
                    "node ids below " + std::to_string(pop.size) + " (the size of population " + pop.name + ")",
                    "node id " + std::to_string(node) + " in " + quote(file.string()));
        if (!std::isfinite(time) || time < 0 || !fits_steps(time, in.spec.simulation.dt_ms))
            in.fail(p.pos, ppath, "spike times of at least 0 ms and at most 2^53 steps of dt",
                    q(time, Dimension::time) + " in " + quote(file.string()));
    }
    pop.spike_times_ms.assign(n_nodes, {});
    for (auto& [node, time] : spikes) pop.spike_times_ms[node].push_back(time);
    for (auto& v : pop.spike_times_ms) std::sort(v.begin(), v.end());
    in.spike_files[pop.name] = {fs::absolute(file, ec).lexically_normal().string(), population};
}

void read_population(Reader& in, const std::string& pop_name, Pos key_pos, const Tree& t,
                     std::uint64_t& total) {
    const std::string path = key_path("populations", pop_name);
    if (!valid_population_name(pop_name))
        in.fail(
            key_pos, path,
            "a population name of letters, digits and _, not starting with a digit (it names an HDF5 group)",
            quote(pop_name));
    in.expect_map(t, path, "a population (a mapping with model and size)");
    // The head's keys, then those of models with dynamics, then those of spike_source.
    auto keys = [](std::vector<std::string> more) {
        std::vector<std::string> k = keys_of(head_table());
        k.insert(k.end(), more.begin(), more.end());
        return k;
    };
    in.check_keys(t, path, keys({"parameters", "initial", "options", "spike_times", "spike_file"}),
                  "a key of a population");
    PopulationSpec pop;
    pop.name = pop_name;
    pop.where = {t.pos.line, t.pos.column, path};
    read_fields(in, t, path, head_table(), pop);
    const std::string& model = pop.model;
    const ModelInfo* info = pop.info;
    total += pop.size;
    if (total > max_gids)
        in.fail(t.find("size")->pos, path + ".size", "at most 4294967295 neurons in all populations together",
                std::to_string(total) + " up to this population");

    if (info->is_spike_source) {
        in.check_keys(t, path, keys({"spike_times", "spike_file"}), "a key of a spike_source population",
                      " (spike_source neurons have no parameters and no state)");
        const Tree* times = t.find("spike_times");
        const Tree* file = t.find("spike_file");
        if (times && file) in.fail(t.pos, path, "either spike_times or spike_file, not both", "both");
        // No spike_times and no spike_file: a silent source (spike_times_ms stays empty).
        if (times) read_spike_times(in, pop, *times, path + ".spike_times");
        if (file) read_spike_file(in, pop, *file, path + ".spike_file");
        in.spec.populations.push_back(std::move(pop));
        return;
    }
    in.check_keys(t, path, keys({"parameters", "initial", "options"}), "a key of a population of " + model,
                  " (spike_times and spike_file are for spike_source populations)");

    std::vector<std::string> pnames;
    for (auto& p : info->parameters) {
        pnames.push_back(p.name);
        pop.parameters[p.name] = p.default_value;
    }
    const Tree* params = t.find("parameters");
    const std::string ppath = path + ".parameters";
    if (params && !params->is_null()) {
        in.expect_map(*params, ppath, "a mapping from parameter names of " + model + " to values");
        for (auto& e : params->entries) {
            const std::string epath = key_path(ppath, e.key);
            const ParameterInfo* pi = info->find_parameter(e.key);
            if (!pi)
                in.fail(e.key_pos, epath, "a parameter of " + model + " " + one_of(pnames),
                        quote(e.key) + suggestion(e.key, pnames));
            const std::string dn = dimension_name(pi->dim);
            const double v = in.quantity(e.value, epath, pi->dim, std::isinf(pi->default_value));
            if (pi->strictly_positive) in.check_range(e.value, epath, v, pi->dim, above(dn, 0.0));
            in.check_range(e.value, epath, v, pi->dim, Range{dn, pi->min, pi->max});
            pop.parameters[e.key] = v;
        }
    }
    // Times the model counts in steps, given or default (a default of 2 ms is too many
    // steps of a dt of 1e-300 ms).
    const double dt = in.spec.simulation.dt_ms;
    for (auto& pi : info->parameters) {
        const double v = pop.parameters[pi.name];
        if (pi.max_steps > 0 && !fits_steps(v, dt, pi.max_steps)) {
            const Tree* given = params && params->is_map() ? params->find(pi.name) : nullptr;
            in.fail(given ? given->pos : t.pos, given ? key_path(ppath, pi.name) : path,
                    "a " + pi.name + " of at most " + format_number(pi.max_steps) + " steps of dt (" +
                        q(pi.max_steps * dt, Dimension::time) + "; " + model + " counts it in steps)",
                    given ? q(v, pi.dim) : q(v, pi.dim) + " (the default)");
        }
    }
    if (info->check) {
        const std::string why = info->check(pop.parameters, in.spec.simulation.dt_ms);
        if (!why.empty()) {
            // The values of the parameters the model's message names.
            std::vector<std::string> shown;
            for (auto& p : info->parameters) {
                std::size_t at = why.find(p.name);
                while (at != std::string::npos) {
                    const std::size_t end = at + p.name.size();
                    auto word = [&](std::size_t i) {
                        const char c = why[i];
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    };
                    if ((at == 0 || !word(at - 1)) && (end == why.size() || !word(end))) {
                        shown.push_back(p.name + " = " + q(pop.parameters[p.name], p.dim));
                        break;
                    }
                    at = why.find(p.name, at + 1);
                }
            }
            const Tree& at = params && !params->is_null() ? *params : t;
            in.fail(at.pos, params ? ppath : path, why,
                    shown.empty() ? "parameters that are not" : join(shown));
        }
    }

    // Options: string choices of the model (e.g. an integration scheme), defaults filled in.
    std::vector<std::string> onames;
    for (auto& option : info->options) onames.push_back(option.first);
    pop.options.assign(info->options.size(), 0);
    if (const Tree* opts = t.find("options"); opts && !opts->is_null()) {
        const std::string opath = path + ".options";
        in.expect_map(*opts, opath, "a mapping from options of " + model + " to values");
        for (auto& e : opts->entries) {
            const std::string epath = key_path(opath, e.key);
            const int o = info->find_option(e.key);
            if (o < 0)
                in.fail(e.key_pos, epath, "an option of " + model + " " + one_of(onames),
                        quote(e.key) + suggestion(e.key, onames));
            pop.options[std::size_t(o)] =
                int(in.choice(e.value, epath, "a value of option " + e.key + " of " + model,
                              info->options[std::size_t(o)].second));
        }
    }

    if (const Tree* init = t.find("initial"); init && !init->is_null()) {
        const std::string ipath = path + ".initial";
        in.expect_map(*init, ipath, "a mapping from state variables of " + model + " to values");
        std::vector<std::string> snames;
        for (auto& s : info->state) snames.push_back(s.name);
        for (auto& e : init->entries) {
            const StateInfo* si = info->find_state(e.key);
            if (!si)
                in.fail(e.key_pos, key_path(ipath, e.key), "a state variable of " + model + " " + one_of(snames),
                        quote(e.key) + suggestion(e.key, snames));
            pop.initial[e.key] = in.distribution(e.value, key_path(ipath, e.key), si->dim);
        }
    }
    in.spec.populations.push_back(std::move(pop));
}

}  // namespace

void read_populations(Reader& in, const Tree& root) {
    const Tree& pops = in.require(root, "", "populations", "a mapping from population names to populations");
    if (!pops.is_map() || pops.entries.empty())
        in.fail(pops.pos, "populations", "a mapping from population names to populations (at least one)",
                describe(pops));
    std::uint64_t total = 0;
    for (auto& e : pops.entries) read_population(in, e.key, e.key_pos, e.value, total);
}

void write_populations(YAML::Emitter& out, const Reader& in) {
    out << YAML::Key << "populations" << YAML::Value << YAML::BeginMap;
    for (auto& p : in.spec.populations) {
        const ModelInfo& info = *p.info;
        out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
        write_fields(out, in, head_table(), p);
        if (info.is_spike_source) {
            if (auto f = in.spike_files.find(p.name); f != in.spike_files.end()) {
                out << YAML::Key << "spike_file" << YAML::Value << YAML::BeginMap;
                out << YAML::Key << "path" << YAML::Value << f->second.path;
                if (!f->second.population.empty())
                    out << YAML::Key << "population" << YAML::Value << f->second.population;
                out << YAML::EndMap;
            } else if (!p.spike_times_ms.empty()) {
                out << YAML::Key << "spike_times" << YAML::Value << YAML::Flow << YAML::BeginSeq;
                for (auto& node : p.spike_times_ms) {
                    out << YAML::Flow << YAML::BeginSeq;
                    for (double t : node) out << format_number(t);
                    out << YAML::EndSeq;
                }
                out << YAML::EndSeq;
            }
        } else {
            out << YAML::Key << "parameters" << YAML::Value << YAML::BeginMap;
            for (auto& pi : info.parameters)
                out << YAML::Key << pi.name << YAML::Value << q(p.parameters.at(pi.name), pi.dim);
            out << YAML::EndMap;
            if (!info.options.empty()) {
                out << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
                for (std::size_t o = 0; o < info.options.size(); ++o)
                    out << YAML::Key << info.options[o].first << YAML::Value
                        << info.options[o].second[std::size_t(p.options[o])];
                out << YAML::EndMap;
            }
            if (!p.initial.empty()) {
                out << YAML::Key << "initial" << YAML::Value << YAML::BeginMap;
                for (auto& si : info.state)
                    if (auto it = p.initial.find(si.name); it != p.initial.end()) {
                        out << YAML::Key << si.name << YAML::Value;
                        emit_distribution(out, it->second, si.dim);
                    }
                out << YAML::EndMap;
            }
        }
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}

}  // namespace apical::description
