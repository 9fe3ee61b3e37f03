// The entry point of the description layer: YAML text -> a tree with positions -> --set
// overrides -> the sections read into a NetworkSpec -> the resolved description as YAML.
// The user reference of the format is docs/description.md; keep the two in step.
#include "io/description.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/error.hpp"
#include "io/description/overrides.hpp"
#include "io/description/sections.hpp"
#include "neurons/model_info.hpp"

namespace apical {

namespace description {

namespace fs = std::filesystem;

std::string entry_name(Reader& in, const Tree& item, const std::string& path, const std::string& fallback,
                       const std::string& noun, const std::vector<std::string>& taken,
                       const std::string& list_path, const std::string& hint) {
    const Tree* nm = item.find("name");
    const std::string n = nm ? in.name(*nm, path + ".name", "a " + noun + " name") : fallback;
    for (std::size_t k = 0; k < taken.size(); ++k)
        if (taken[k] == n)
            in.fail(nm ? nm->pos : item.pos, path + ".name",
                    "a " + noun + " name not used before (" + index_path(list_path, k) + " is " + quote(n) +
                        hint + ")",
                    quote(n));
    return n;
}

int read_receptor(const Reader& in, const Tree& item, const std::string& path, const PopulationSpec& target) {
    const ModelInfo& info = *target.info;
    std::vector<std::string> names;
    for (auto& r : info.receptors) names.push_back(r.name);
    if (const Tree* r = item.find("receptor"))
        return int(in.choice(*r, key_path(path, "receptor"),
                             "a receptor of " + info.name + ", the model of population " + target.name, names));
    if (info.route_by_sign && !info.receptors.empty()) return -1;
    std::string listed;
    for (std::size_t i = 0; i < names.size(); ++i)
        listed += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    in.require(item, path, "receptor",
               info.name + ", the model of population " + target.name + ", needs one named: " + listed);
    return -1;  // not reached
}

const PopulationSpec& population_named(const Reader& in, const std::string& name) {
    for (auto& p : in.spec.populations)
        if (p.name == name) return p;
    throw std::logic_error("description: unknown population " + name);
}

std::pair<double, double> read_window_in_period(const Reader& in, const Tree& w, const std::string& wpath,
                                                double period_ms, double earliest_ms) {
    if (!w.is_seq() || w.items.size() != 2) in.fail(w.pos, wpath, "a window [start, stop]", describe(w));
    const double start = in.bounded(w.items[0], index_path(wpath, 0), Dimension::time,
                                    within("a start time inside the period", earliest_ms, period_ms));
    in.check_steps(w.items[0], index_path(wpath, 0), start, "a start time");
    const double stop = in.bounded(w.items[1], index_path(wpath, 1), Dimension::time,
                                   above_up_to("a stop time inside the period", start, period_ms));
    in.check_steps(w.items[1], index_path(wpath, 1), stop, "a stop time");
    return {start, stop};
}

std::vector<std::pair<double, double>> read_windows_in_period(const Reader& in, const Tree& t,
                                                               const std::string& path, double period_ms) {
    const std::string what = "a list of [start, stop] windows inside one period of " + q(period_ms, Dimension::time) +
                             ", e.g. [[7.2 s, 8 s]]";
    if (!t.is_seq() || t.items.empty()) in.fail(t.pos, path, what, describe(t));
    std::vector<std::pair<double, double>> windows;
    double previous_stop = 0.0;
    for (std::size_t i = 0; i < t.items.size(); ++i) {
        windows.push_back(read_window_in_period(in, t.items[i], index_path(path, i), period_ms, previous_stop));
        previous_stop = windows.back().second;
    }
    return windows;
}

void write_windows(YAML::Emitter& out, const std::vector<std::pair<double, double>>& windows) {
    out << YAML::Flow << YAML::BeginSeq;
    for (auto [start, stop] : windows)
        out << YAML::Flow << YAML::BeginSeq << q(start, Dimension::time)
            << (stop >= no_stop ? std::string("inf") : q(stop, Dimension::time)) << YAML::EndSeq;
    out << YAML::EndSeq;
}

void begin_list(YAML::Emitter& out, const char* key, bool empty) {
    out << YAML::Key << key << YAML::Value;
    if (empty) out << YAML::Flow;
    out << YAML::BeginSeq;
}

void read_list(Reader& in, const Tree* t, const std::string& path, const std::string& what,
               const std::function<void(const Tree&, const std::string&, std::size_t)>& read_one) {
    if (!t || t->is_null()) return;
    if (!t->is_seq()) in.fail(t->pos, path, what, describe(*t));
    for (std::size_t i = 0; i < t->items.size(); ++i) read_one(t->items[i], index_path(path, i), i);
}

namespace {

std::string resolved_description(const Reader& in) {
    YAML::Emitter out;
    out << YAML::Comment("apical: the resolved description of " + fs::path(in.file()).filename().string() +
                         " (every value that was simulated)");
    out << YAML::BeginMap;
    write_simulation(out, in);
    write_populations(out, in);
    write_projections(out, in);
    write_stimuli(out, in);
    write_recordings(out, in);
    out << YAML::EndMap;
    if (!out.good()) throw std::logic_error("resolved description: " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

NetworkSpec build(Reader& in, const Tree& root) {
    if (root.is_null())
        throw DescriptionError(in.file(), 0, 0, "", "a description (a mapping with a populations key)",
                               "an empty document");
    if (!root.is_map())
        in.fail(root.pos, "", "a description (a mapping with a populations key)", describe(root));
    in.check_keys(root, "", {"simulation", "populations", "projections", "stimuli", "recordings"},
                  "a top-level key");
    read_simulation(in, root.find("simulation"));
    read_populations(in, root);
    read_projections(in, root.find("projections"));
    read_stimuli(in, root.find("stimuli"));
    read_recordings(in, root.find("recordings"));
    in.spec.resolved_yaml = resolved_description(in);
    return std::move(in.spec);
}

}  // namespace

}  // namespace description

NetworkSpec parse_description(const std::string& yaml_text, const std::string& file_name,
                              const std::vector<std::string>& overrides) {
    description::Reader in(file_name);
    description::Tree root = in.parse_text(yaml_text);
    for (auto& o : overrides) description::apply_override(in, root, o);
    return description::build(in, root);
}

SimulationSpec override_simulation(const SimulationSpec& s, const std::vector<std::string>& overrides,
                                   const std::string& source) {
    // The settings as a simulation section (shortest texts that read back to the same doubles),
    // then the overrides on it, read by the section's own reader.
    const auto number = [](double v) {
        char buf[64];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, r.ptr);
    };
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "dt" << YAML::Value << number(s.dt_ms) + " ms";
    out << YAML::Key << "t_stop" << YAML::Value << number(s.t_stop_ms) + " ms";
    out << YAML::Key << "seed" << YAML::Value << s.seed;
    out << YAML::Key << "threads" << YAML::Value << s.threads;
    out << YAML::Key << "output" << YAML::Value << YAML::DoubleQuoted << s.output_dir;
    out << YAML::EndMap << YAML::EndMap;
    description::Reader in(source);
    description::Tree root = in.parse_text(out.c_str());
    for (auto& o : overrides) description::apply_override(in, root, o);
    in.check_keys(root, "", {"simulation"}, "a key a SONATA run takes from the command line");
    in.spec.simulation = s;
    description::read_simulation(in, root.find("simulation"));
    SimulationSpec r = in.spec.simulation;
    r.force_memory = s.force_memory;
    return r;
}

NetworkSpec load(const std::string& path, const std::vector<std::string>& overrides) {
    namespace fs = std::filesystem;
    using description::max_description_bytes;
    std::error_code ec;
    const fs::path p(path);
    auto missing = [&](const std::string& found) {
        throw DescriptionError(path, 0, 0, "", "a readable description file", found);
    };
    // Only a regular file: a FIFO would block for ever and /dev/zero never ends.
    const fs::file_status status = fs::status(p, ec);
    if (!fs::exists(status)) missing("no such file");
    if (fs::is_directory(status)) missing("a directory");
    if (!fs::is_regular_file(status)) missing("a FIFO, device or socket (not a regular file)");
    std::uintmax_t size = fs::file_size(p, ec);
    if (ec) size = 0;  // read below; the limit is checked while reading
    const std::string limit = "a description file of at most " + std::to_string(max_description_bytes >> 20) + " MiB";
    if (size > max_description_bytes)
        throw DescriptionError(path, 0, 0, "", limit, std::to_string(size) + " bytes");
    std::ifstream in(p, std::ios::binary);
    if (!in) missing("a file that cannot be opened for reading");
    // In chunks, stopping past the limit: the file may grow while it is read.
    std::string text;
    text.reserve(std::size_t(std::min(size, max_description_bytes)));
    char chunk[1 << 16];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, std::size_t(in.gcount()));
        if (text.size() > max_description_bytes) throw DescriptionError(path, 0, 0, "", limit, "a larger file");
    }
    if (in.bad()) missing("a file that cannot be read");
    return parse_description(text, path, overrides);
}

}  // namespace apical
