// Description files: YAML text -> a tree with positions -> --set overrides -> validation
// into a NetworkSpec -> the resolved description as YAML. The user reference of the format
// is docs/description.md; keep the two in step.
//
// yaml-cpp's nodes are copied into a small tree of our own first, for three reasons:
// aliases (`*neuron`) become independent copies, so an override of one population's
// parameters does not change another's; values given with --set can carry "no position"
// (their errors name "--set"); and duplicate keys, which yaml-cpp 0.7 accepts silently,
// are reported.
#include "io/description.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/units.hpp"
#include "io/sonata_spikes.hpp"
#include "io/units.hpp"
#include "neurons/model_info.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

namespace fs = std::filesystem;

constexpr double no_stop = 1e300;  // StimulusSpec::stop_ms when there is no stop
constexpr std::uint64_t max_gids = 4294967295ull;

// ---------------------------------------------------------------------------------------
// The tree

struct Pos {
    int line = 0;  // 1-based; 0: the value came from --set
    int column = 0;
};

struct Tree {
    enum class Kind { null, scalar, map, seq };
    struct Entry;
    Kind kind = Kind::null;
    Pos pos;
    std::string text;            // scalar
    std::vector<Entry> entries;  // map, in document order
    std::vector<Tree> items;     // seq

    bool is_null() const { return kind == Kind::null; }
    bool is_scalar() const { return kind == Kind::scalar; }
    bool is_map() const { return kind == Kind::map; }
    bool is_seq() const { return kind == Kind::seq; }
    const Tree* find(const std::string& key) const;
    Tree* find(const std::string& key);
    std::vector<std::string> keys() const;
};

struct Tree::Entry {
    std::string key;
    Pos key_pos;
    Tree value;
};

const Tree* Tree::find(const std::string& key) const {
    for (auto& e : entries)
        if (e.key == key) return &e.value;
    return nullptr;
}

Tree* Tree::find(const std::string& key) {
    for (auto& e : entries)
        if (e.key == key) return &e.value;
    return nullptr;
}

std::vector<std::string> Tree::keys() const {
    std::vector<std::string> k;
    for (auto& e : entries) k.push_back(e.key);
    return k;
}

// ---------------------------------------------------------------------------------------
// Message pieces

std::string quote(std::string_view s) {
    std::string q = "\"";
    std::size_t n = 0;
    for (char c : s) {
        if (++n > 80) {
            q += "...";
            break;
        }
        if (c == '"' || c == '\\') q += '\\';
        if (c == '\n')
            q += "\\n";
        else if (c == '\t')
            q += "\\t";
        else if (static_cast<unsigned char>(c) < 0x20)
            q += '?';
        else
            q += c;
    }
    return q + "\"";
}

// Messages are one line (the CLI prints exactly one line per error).
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

std::string one_of(const std::vector<std::string>& v) {
    return v.empty() ? "(there are none)" : "(one of: " + join(v) + ")";
}

std::string describe(const Tree& t) {
    switch (t.kind) {
    case Tree::Kind::null: return "nothing";
    case Tree::Kind::scalar: return quote(t.text);
    case Tree::Kind::map: return "a mapping";
    case Tree::Kind::seq: return "a list";
    }
    return "";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// " (did you mean X?)" when one valid name is close to `name`.
std::string suggestion(const std::string& name, const std::vector<std::string>& valid) {
    // Up to one edit per three letters (at most 3); names of one or two letters only
    // differing in case.
    std::string best;
    std::size_t best_d =
        (name.size() <= 2 ? 0 : std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 3))) + 1;
    for (auto& v : valid) {
        const std::size_t d = edit_distance(name, v);
        if (d < best_d) {
            best_d = d;
            best = v;
        }
    }
    return best.empty() ? "" : " (did you mean " + best + "?)";
}

std::string key_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string q(double v, Dimension d) { return format_quantity(v, d); }

// The decimal a product such as steps * dt was meant to be (3 * 0.1 -> 0.3).
double tidy(double x) {
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 15).ptr;
    double y = x;
    std::from_chars(buf, end, y);  // both locale-independent
    return y;
}

const char* distribution_name(Distribution::Kind k) {
    switch (k) {
    case Distribution::Kind::constant: return "constant";
    case Distribution::Kind::uniform: return "uniform";
    case Distribution::Kind::normal: return "normal";
    case Distribution::Kind::lognormal: return "lognormal";
    }
    return "";
}

std::string describe(const Distribution& d, Dimension dim) {
    std::string s;
    switch (d.kind) {
    case Distribution::Kind::constant: return q(d.value, dim);
    case Distribution::Kind::uniform:
        s = "a uniform distribution on [" + q(d.low, dim) + ", " + q(d.high, dim) + ")";
        break;
    case Distribution::Kind::normal:
        s = "a normal distribution (mean " + q(d.mean, dim) + ", std " + q(d.std, dim) + ")";
        break;
    case Distribution::Kind::lognormal:
        s = "a lognormal distribution (mean " + q(d.mean, dim) + ", std " + q(d.std, dim) + ")";
        break;
    }
    return s + (d.min ? " with min " + q(*d.min, dim) : " without min");
}

// The smallest value a distribution can produce (after clipping).
double lower_bound(const Distribution& d) {
    double lo = 0.0;
    switch (d.kind) {
    case Distribution::Kind::constant: return d.value;
    case Distribution::Kind::uniform: lo = d.low; break;
    case Distribution::Kind::normal:
        lo = d.std == 0.0 ? d.mean : -std::numeric_limits<double>::infinity();
        break;
    case Distribution::Kind::lognormal: lo = 0.0; break;
    }
    if (d.min) lo = std::max(lo, *d.min);
    if (d.max) lo = std::min(lo, *d.max);
    return lo;
}

const std::vector<std::pair<std::string, ConnectionRule>> rules = {
    {"all_to_all", ConnectionRule::all_to_all},
    {"one_to_one", ConnectionRule::one_to_one},
    {"pairwise_bernoulli", ConnectionRule::pairwise_bernoulli},
    {"fixed_indegree", ConnectionRule::fixed_indegree},
    {"fixed_outdegree", ConnectionRule::fixed_outdegree},
    {"fixed_total_number", ConnectionRule::fixed_total_number},
};

const char* rule_name(ConnectionRule r) {
    for (auto& [n, v] : rules)
        if (v == r) return n.c_str();
    return "";
}

// The key that carries a rule's number, or "".
const char* rule_key(ConnectionRule r) {
    switch (r) {
    case ConnectionRule::pairwise_bernoulli: return "p";
    case ConnectionRule::fixed_indegree: return "indegree";
    case ConnectionRule::fixed_outdegree: return "outdegree";
    case ConnectionRule::fixed_total_number: return "N";
    default: return "";
    }
}

const std::vector<std::pair<std::string, StimulusSpec::Kind>> stimulus_models = {
    {"poisson_generator", StimulusSpec::Kind::poisson_generator},
    {"dc_current", StimulusSpec::Kind::dc_current},
    {"step_current", StimulusSpec::Kind::step_current},
    {"noise_current", StimulusSpec::Kind::noise_current},
};

const char* stimulus_name(StimulusSpec::Kind k) {
    for (auto& [n, v] : stimulus_models)
        if (v == k) return n.c_str();
    return "";
}

template <class T>
std::vector<std::string> names_of(const std::vector<std::pair<std::string, T>>& v) {
    std::vector<std::string> n;
    for (auto& e : v) n.push_back(e.first);
    return n;
}

const std::vector<std::string> spike_exchanges = {"allgather", "directed"};
const std::vector<std::string> classification_rules = {"trace", "isi"};

// How the nodes of a state recording were given, for the resolved description.
struct NodeSelection {
    enum class Kind { list, range, sample, all };
    Kind kind = Kind::list;
    std::uint64_t first = 0, stop = 0, step = 1;  // range: first, first + step, ... below stop
    std::uint64_t n = 0;                          // sample: n nodes ...
    std::uint32_t seed = 0;                       // ... drawn with this seed
};

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

// Where a SONATA spike_file came from, for the resolved description.
struct SpikeFileRef {
    std::string path;        // absolute
    std::string population;  // in the file ("" = its only population)
};

// ---------------------------------------------------------------------------------------
// The loader

class Loader {
public:
    explicit Loader(std::string file) : file_(std::move(file)) { base_dir_ = fs::path(file_).parent_path(); }

    Tree parse_text(const std::string& text);
    void apply_override(Tree& root, const std::string& text);
    NetworkSpec build(const Tree& root);

private:
    [[noreturn]] void fail(Pos p, const std::string& path, const std::string& expected,
                           const std::string& found) const {
        throw DescriptionError(p.line > 0 ? file_ : "--set", p.line, p.column, path, one_line(expected),
                               one_line(found));
    }
    void warn(Pos p, const std::string& path, const std::string& what) {
        std::string where = p.line > 0 ? file_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column)
                                       : std::string("--set");
        spec_.warnings.push_back(where + ": " + path + ": " + what);
    }

    Tree convert(const YAML::Node& n, const std::string& path, bool from_set, int depth) const;

    // Shapes and scalars.
    void expect_map(const Tree& t, const std::string& path, const std::string& what) const {
        if (!t.is_map()) fail(t.pos, path, what, describe(t));
    }
    void check_keys(const Tree& m, const std::string& path, const std::vector<std::string>& valid,
                    const std::string& what, const std::string& note = "") const;
    const Tree& require(const Tree& m, const std::string& path, const std::string& key,
                        const std::string& what) const;
    std::string name(const Tree& t, const std::string& path, const std::string& what) const;
    std::string choice(const Tree& t, const std::string& path, const std::string& what,
                       const std::vector<std::string>& valid) const;
    double quantity(const Tree& t, const std::string& path, Dimension d, bool allow_infinite = false) const;
    std::uint64_t integer(const Tree& t, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                          const std::string& expected) const;
    bool boolean(const Tree& t, const std::string& path) const;
    Distribution distribution(const Tree& t, const std::string& path, Dimension d) const;
    double positive_time(const Tree& t, const std::string& path) const;
    double grid_time(const Tree& t, const std::string& path, const std::string& what, bool positive) const;
    std::size_t population_ref(const Tree& t, const std::string& path) const;

    // Sections.
    void simulation(const Tree* t);
    void spike_classification(const Tree& t, const std::string& path);
    void populations(const Tree& root);
    void population(const std::string& pop_name, Pos key_pos, const Tree& t, std::uint64_t& total);
    void spike_times(PopulationSpec& pop, const Tree& t, const std::string& path) const;
    void spike_file(PopulationSpec& pop, const Tree& t, const std::string& path);
    void projections(const Tree* t);
    void connectivity(ProjectionSpec& p, const Tree& c, const std::string& path) const;
    int receptor(const Tree& item, const std::string& path, const PopulationSpec& target) const;
    Distribution delay(const Tree& t, const std::string& path);
    void stimuli(const Tree* t);
    void recordings(const Tree* t);
    void state_recordings(const Tree& t, const std::string& path);
    void population_rates(const Tree& t, const std::string& path);
    std::string recording_name(const Tree& item, const std::string& path, const std::string& fallback);
    void claim_files(const Tree& item, const std::string& path, const std::string& name,
                     const std::vector<std::string>& files);
    void recording_window(const Tree& item, const std::string& path, double& start_ms, double& stop_ms) const;
    std::vector<std::uint32_t> nodes(const Tree& t, const std::string& path, const PopulationSpec& pop,
                                     NodeSelection& how) const;

    std::string emit() const;

    std::string file_;
    fs::path base_dir_;
    NetworkSpec spec_;
    std::map<std::string, SpikeFileRef> spike_files_;  // population name -> file
    std::vector<NodeSelection> node_selections_;         // of spec_.state_recordings, in order
    std::vector<std::pair<std::string, std::string>> recording_names_;  // (name, key path)
    std::map<std::string, std::string> output_files_;    // file in the output folder -> key path
};

// ---------------------------------------------------------------------------------------
// YAML -> tree

Pos pos_of(const YAML::Mark& m) {
    if (m.is_null()) return {};
    return {m.line + 1, m.column + 1};
}

Tree Loader::convert(const YAML::Node& n, const std::string& path, bool from_set, int depth) const {
    Tree t;
    t.pos = from_set ? Pos{} : pos_of(n.Mark());
    if (depth > 64) fail(t.pos, path, "a description nested at most 64 levels deep", "deeper nesting");
    switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: t.kind = Tree::Kind::null; break;
    case YAML::NodeType::Scalar:
        t.kind = Tree::Kind::scalar;
        t.text = n.Scalar();
        break;
    case YAML::NodeType::Sequence: {
        t.kind = Tree::Kind::seq;
        std::size_t i = 0;
        for (const auto& item : n)
            t.items.push_back(convert(item, index_path(path, i++), from_set, depth + 1));
        break;
    }
    case YAML::NodeType::Map: {
        t.kind = Tree::Kind::map;
        for (const auto& kv : n) {
            const Pos kp = from_set ? Pos{} : pos_of(kv.first.Mark());
            if (!kv.first.IsScalar())
                fail(kp, path, "a name as each key of a mapping",
                     kv.first.IsMap()        ? "a mapping as a key"
                     : kv.first.IsSequence() ? "a list as a key"
                                             : "an empty key");
            const std::string key = kv.first.Scalar();
            for (auto& e : t.entries)
                if (e.key == key)
                    fail(kp, key_path(path, key), "each key once in a mapping",
                         quote(key) + " a second time" +
                             (e.key_pos.line > 0 ? " (first at line " + std::to_string(e.key_pos.line) + ")"
                                                 : ""));
            t.entries.push_back({key, kp, convert(kv.second, key_path(path, key), from_set, depth + 1)});
        }
        break;
    }
    }
    return t;
}

Tree Loader::parse_text(const std::string& text) {
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(text);
    } catch (const YAML::ParserException& e) {
        throw DescriptionError(file_, e.mark.is_null() ? 0 : e.mark.line + 1,
                               e.mark.is_null() ? 0 : e.mark.column + 1, "", "well-formed YAML",
                               one_line("a syntax error (" + e.msg + ")"));
    } catch (const YAML::Exception& e) {
        throw DescriptionError(file_, 0, 0, "", "well-formed YAML", one_line("an error (" + e.msg + ")"));
    }
    for (std::size_t i = 1; i < docs.size(); ++i)
        if (!docs[i].IsNull()) fail(pos_of(docs[i].Mark()), "", "one YAML document", "a second document");
    if (docs.empty()) return Tree{};
    return convert(docs[0], "", false, 0);
}

// ---------------------------------------------------------------------------------------
// --set

void Loader::apply_override(Tree& root, const std::string& text) {
    const std::string usage = "an override key.path=value (e.g. simulation.t_stop=200 ms)";
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos) throw DescriptionError("--set", 0, 0, "", usage, quote(text));
    const std::string path(trim(std::string_view(text).substr(0, eq)));
    const std::string value(trim(std::string_view(text).substr(eq + 1)));
    auto bad = [&](const std::string& expected, const std::string& found) {
        throw DescriptionError("--set", 0, 0, path, one_line(expected), one_line(found));
    };
    if (path.empty()) throw DescriptionError("--set", 0, 0, "", usage, quote(text));

    // Steps: names separated by dots, each followed by any number of [index].
    struct Step {
        bool is_index;
        std::string key;
        std::size_t index;
    };
    std::vector<Step> steps;
    {
        std::size_t i = 0;
        const std::string form = "a key path such as populations.E.size or projections[0].weight";
        while (i <= path.size()) {
            std::size_t j = i;
            while (j < path.size() && path[j] != '.' && path[j] != '[' && path[j] != ']') ++j;
            const std::string key = path.substr(i, j - i);
            if (!key.empty())
                steps.push_back({false, key, 0});
            else if (j >= path.size() || path[j] != '[' || steps.empty())
                bad(form, quote(path));
            while (j < path.size() && path[j] == '[') {
                std::size_t k = j + 1, index = 0;
                const std::size_t digits_at = k;
                while (k < path.size() && path[k] >= '0' && path[k] <= '9' && k - digits_at < 9)
                    index = index * 10 + std::size_t(path[k++] - '0');
                if (k == digits_at || k >= path.size() || path[k] != ']') bad(form, quote(path));
                steps.push_back({true, "", index});
                j = k + 1;
            }
            if (j < path.size() && path[j] != '.') bad(form, quote(path));
            i = j + 1;
        }
    }

    Tree value_tree;
    if (!value.empty()) {
        try {
            value_tree = convert(YAML::Load(value), path, true, 0);
        } catch (const YAML::Exception&) {
            value_tree.kind = Tree::Kind::scalar;  // not YAML: the text itself
            value_tree.text = value;
        }
    }

    if (root.is_null()) root.kind = Tree::Kind::map;
    Tree* cur = &root;
    std::string where;  // the path walked so far
    for (std::size_t s = 0; s < steps.size(); ++s) {
        const Step& step = steps[s];
        Tree* next = nullptr;
        if (step.is_index) {
            if (!cur->is_seq())
                bad("a list at " + (where.empty() ? std::string("the top level") : where) + " to index",
                    describe(*cur));
            if (step.index >= cur->items.size())
                bad("an index below " + std::to_string(cur->items.size()) + " in " + where,
                    std::to_string(step.index));
            next = &cur->items[step.index];
            where = index_path(where, step.index);
        } else if (cur->is_seq()) {
            // A list entry by its name (projections and stimuli have names, given or default).
            std::vector<std::string> names;
            for (std::size_t i = 0; i < cur->items.size() && !next; ++i) {
                const Tree& item = cur->items[i];
                std::string n;
                if (item.is_map()) {
                    const Tree* nm = item.find("name");
                    const Tree* src = item.find("source");
                    const Tree* tgt = item.find("target");
                    const Tree* mdl = item.find("model");
                    if (nm && nm->is_scalar())
                        n = nm->text;
                    else if (where == "projections" && src && tgt && src->is_scalar() && tgt->is_scalar())
                        n = src->text + "->" + tgt->text;
                    else if (where == "stimuli" && mdl && mdl->is_scalar())
                        n = mdl->text + "_" + std::to_string(i);
                }
                if (!n.empty()) names.push_back(n);
                if (n == step.key) {
                    next = &cur->items[i];
                    where = index_path(where, i);
                }
            }
            if (!next)
                bad("the name of an entry of " + where + " " + one_of(names) +
                        (cur->items.empty()
                             ? std::string(" (the list is empty)")
                             : " or an index [0] to [" + std::to_string(cur->items.size() - 1) + "]"),
                    quote(step.key) + suggestion(step.key, names));
        } else {
            if (cur->is_null()) cur->kind = Tree::Kind::map;
            if (!cur->is_map())
                bad("a mapping at " + where + " to look up " + quote(step.key), describe(*cur));
            next = cur->find(step.key);
            if (!next) {
                if (where == "populations") {
                    const auto names = cur->keys();
                    bad("the name of a population " + one_of(names),
                        quote(step.key) + suggestion(step.key, names));
                }
                cur->entries.push_back({step.key, Pos{}, Tree{}});
                next = &cur->entries.back().value;
            }
            where = key_path(where, step.key);
        }
        cur = next;
    }
    *cur = std::move(value_tree);
}

// ---------------------------------------------------------------------------------------
// Shapes and scalars

void Loader::check_keys(const Tree& m, const std::string& path, const std::vector<std::string>& valid,
                        const std::string& what, const std::string& note) const {
    for (auto& e : m.entries)
        if (std::find(valid.begin(), valid.end(), e.key) == valid.end())
            fail(e.key_pos, key_path(path, e.key), what + " " + one_of(valid),
                 quote(e.key) + (note.empty() ? suggestion(e.key, valid) : note));
}

const Tree& Loader::require(const Tree& m, const std::string& path, const std::string& key,
                            const std::string& what) const {
    if (const Tree* t = m.find(key)) return *t;
    const auto present = m.keys();
    fail(m.pos, path, "a \"" + key + "\" key (" + what + ")",
         present.empty() ? "an empty mapping" : "keys " + join(present));
}

std::string Loader::name(const Tree& t, const std::string& path, const std::string& what) const {
    if (!t.is_scalar() || t.text.empty()) fail(t.pos, path, what, describe(t));
    return t.text;
}

// One name of a closed set (`what` is followed by the list).
std::string Loader::choice(const Tree& t, const std::string& path, const std::string& what,
                           const std::vector<std::string>& valid) const {
    const std::string expected = what + " " + one_of(valid);
    const std::string v = name(t, path, expected);
    if (std::find(valid.begin(), valid.end(), v) == valid.end())
        fail(t.pos, path, expected, quote(v) + suggestion(v, valid));
    return v;
}

double Loader::quantity(const Tree& t, const std::string& path, Dimension d, bool allow_infinite) const {
    if (!t.is_scalar()) fail(t.pos, path, expected_quantity(d), describe(t));
    try {
        return parse_quantity(t.text, d, allow_infinite);
    } catch (const QuantityError& e) {
        fail(t.pos, path, e.expected(), e.found());
    }
}

std::uint64_t Loader::integer(const Tree& t, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                              const std::string& expected) const {
    if (!t.is_scalar()) fail(t.pos, path, expected, describe(t));
    const std::string_view s = trim(t.text);
    std::size_t i = 0;
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) negative = s[i++] == '-';
    if (i == s.size()) fail(t.pos, path, expected, quote(t.text));
    std::uint64_t v = 0;
    bool overflow = false;
    for (std::size_t k = i; k < s.size(); ++k) {
        if (s[k] < '0' || s[k] > '9') {
            // "1e4", "3.5", "ten": not written as an integer.
            fail(t.pos, path, expected, quote(t.text) + " (not an integer; write integers as plain digits)");
        }
        const std::uint64_t digit = std::uint64_t(s[k] - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            overflow = true;
        else
            v = v * 10 + digit;
    }
    if ((negative && v != 0) || overflow || v < lo || v > hi) fail(t.pos, path, expected, std::string(s));
    return v;
}

bool Loader::boolean(const Tree& t, const std::string& path) const {
    if (t.is_scalar()) {
        if (t.text == "true" || t.text == "True" || t.text == "TRUE") return true;
        if (t.text == "false" || t.text == "False" || t.text == "FALSE") return false;
    }
    fail(t.pos, path, "true or false", describe(t));
}

Distribution Loader::distribution(const Tree& t, const std::string& path, Dimension d) const {
    Distribution dist;
    if (t.is_scalar()) {
        dist.kind = Distribution::Kind::constant;
        dist.value = quantity(t, path, d);
        return dist;
    }
    const std::vector<std::string> kinds = {"constant", "uniform", "normal", "lognormal"};
    if (!t.is_map())
        fail(t.pos, path,
             expected_quantity(d) + " or a distribution such as {distribution: normal, mean: .., std: ..}",
             describe(t));
    check_keys(t, path, {"distribution", "value", "low", "high", "mean", "std", "min", "max"},
               "a key of a distribution");
    const Tree& k = require(t, path, "distribution", "the kind of distribution: " + join(kinds));
    const std::string kind = name(k, key_path(path, "distribution"), "a distribution " + one_of(kinds));
    auto get = [&](const char* key) {
        return quantity(require(t, path, key, expected_quantity(d)), key_path(path, key), d);
    };
    if (kind == "constant") {
        check_keys(t, path, {"distribution", "value"}, "a key of a constant distribution");
        dist.kind = Distribution::Kind::constant;
        dist.value = get("value");
        return dist;
    }
    if (kind == "uniform") {
        check_keys(t, path, {"distribution", "low", "high", "min", "max"}, "a key of a uniform distribution");
        dist.kind = Distribution::Kind::uniform;
        dist.low = get("low");
        dist.high = get("high");
        if (!(dist.low < dist.high))
            fail(t.find("high")->pos, key_path(path, "high"), "high above low (" + q(dist.low, d) + ")",
                 q(dist.high, d));
    } else if (kind == "normal" || kind == "lognormal") {
        check_keys(t, path, {"distribution", "mean", "std", "min", "max"},
                   "a key of a " + kind + " distribution");
        dist.kind = kind == "normal" ? Distribution::Kind::normal : Distribution::Kind::lognormal;
        dist.mean = get("mean");
        dist.std = get("std");
        if (!(dist.std >= 0))
            fail(t.find("std")->pos, key_path(path, "std"), "a standard deviation of at least " + q(0, d),
                 q(dist.std, d));
        if (kind == "lognormal" && !(dist.mean > 0))
            fail(t.find("mean")->pos, key_path(path, "mean"),
                 "a mean above " + q(0, d) + " (the mean of the lognormal value itself)", q(dist.mean, d));
    } else {
        fail(k.pos, key_path(path, "distribution"), "a distribution " + one_of(kinds),
             quote(kind) + suggestion(kind, kinds));
    }
    if (t.find("min")) dist.min = get("min");
    if (t.find("max")) dist.max = get("max");
    if (dist.min && dist.max && !(*dist.min <= *dist.max))
        fail(t.find("max")->pos, key_path(path, "max"), "max at least min (" + q(*dist.min, d) + ")",
             q(*dist.max, d));
    return dist;
}

double Loader::positive_time(const Tree& t, const std::string& path) const {
    const double v = quantity(t, path, Dimension::time);
    if (!(v > 0)) fail(t.pos, path, "a time above 0 ms", q(v, Dimension::time));
    return v;
}

// The whole number of steps of dt that `ms` is, within 1e-9 relative; -1 when it is none.
double grid_steps(double ms, double dt) {
    const double steps = ms / dt, r = std::nearbyint(steps);
    return std::abs(steps - r) <= 1e-9 * std::max(1.0, r) ? r : -1.0;
}

// A time on the step grid: a whole number of steps of dt within 1e-9 relative (positive:
// at least one step; else at least 0), returned as that number of steps times dt.
double Loader::grid_time(const Tree& t, const std::string& path, const std::string& what, bool positive) const {
    const double dt = spec_.simulation.dt_ms;
    const double v = quantity(t, path, Dimension::time);
    const std::string expected = what + " that is a " + (positive ? "positive" : "non-negative") +
                                 " multiple of dt (" + q(dt, Dimension::time) + ")";
    const double r = grid_steps(v, dt);
    if (r < 0 && v > 0)
        fail(t.pos, path, expected, q(v, Dimension::time) + " (" + format_number(v / dt) + " steps)");
    if (!(r >= (positive ? 1.0 : 0.0)) || !(r <= 0x1p53)) fail(t.pos, path, expected, q(v, Dimension::time));
    return tidy(r * dt);
}

std::size_t Loader::population_ref(const Tree& t, const std::string& path) const {
    std::vector<std::string> names;
    for (auto& p : spec_.populations) names.push_back(p.name);
    if (!t.is_scalar()) fail(t.pos, path, "a population name " + one_of(names), describe(t));
    for (std::size_t i = 0; i < spec_.populations.size(); ++i)
        if (spec_.populations[i].name == t.text) return i;
    fail(t.pos, path, "a population name " + one_of(names), quote(t.text) + suggestion(t.text, names));
}

// ---------------------------------------------------------------------------------------
// simulation

void Loader::simulation(const Tree* t) {
    SimulationSpec& s = spec_.simulation;
    s.output_where = {0, 0, "simulation.output"};
    if (!t || t->is_null()) return;
    const std::string path = "simulation";
    const std::vector<std::string> keys = {"dt",     "t_stop",         "seed",           "threads",
                                           "output", "flush_interval", "spike_exchange",
                                           "spike_classification"};
    expect_map(*t, path, "a mapping of simulation settings (" + join(keys) + ")");
    check_keys(*t, path, keys, "a key of simulation");
    if (auto* v = t->find("dt")) s.dt_ms = positive_time(*v, "simulation.dt");
    if (auto* v = t->find("t_stop")) s.t_stop_ms = positive_time(*v, "simulation.t_stop");
    if (auto* v = t->find("flush_interval"))
        s.flush_interval_ms = positive_time(*v, "simulation.flush_interval");
    if (auto* v = t->find("seed"))
        s.seed =
            std::uint32_t(integer(*v, "simulation.seed", 0, 4294967295ull, "an integer in [0, 4294967295]"));
    if (auto* v = t->find("threads"))
        s.threads = int(integer(*v, "simulation.threads", 1, 2147483647ull, "a positive integer"));
    if (auto* v = t->find("output")) {
        s.output_dir = name(*v, "simulation.output", "an output directory (a path)");
        s.output_where = {v->pos.line, v->pos.column, "simulation.output"};
    }
    if (auto* v = t->find("spike_exchange"))
        s.spike_exchange = choice(*v, "simulation.spike_exchange", "a spike exchange", spike_exchanges) == "directed"
                               ? SpikeExchange::directed
                               : SpikeExchange::allgather;
    // After dt, which bounds the threshold.
    if (auto* v = t->find("spike_classification"))
        spike_classification(*v, "simulation.spike_classification");
}

void Loader::spike_classification(const Tree& t, const std::string& path) {
    SpikeClassificationSpec& c = spec_.simulation.spike_classification;
    c.where = {t.pos.line, t.pos.column, path};
    expect_map(t, path, "a mapping {rule: trace or isi, threshold: TIME}");
    check_keys(t, path, {"rule", "threshold"}, "a key of spike_classification");
    if (auto* r = t.find("rule"))
        c.rule = choice(*r, path + ".rule", "a spike classification rule", classification_rules) == "isi"
                     ? ClassificationRule::isi
                     : ClassificationRule::trace;
    if (auto* v = t.find("threshold")) {
        c.threshold_ms = positive_time(*v, path + ".threshold");
        // The classifier counts in steps (engine/spike_classifier.hpp).
        if (!(c.threshold_ms / spec_.simulation.dt_ms < 0x1p53))
            fail(v->pos, path + ".threshold", "a threshold of at most 2^53 steps of dt",
                 q(c.threshold_ms, Dimension::time));
    }
}

// ---------------------------------------------------------------------------------------
// populations

bool valid_population_name(const std::string& n) {
    if (n.empty()) return false;
    auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!letter(n[0])) return false;
    for (char c : n)
        if (!letter(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

void Loader::populations(const Tree& root) {
    const Tree& pops = require(root, "", "populations", "a mapping from population names to populations");
    if (!pops.is_map() || pops.entries.empty())
        fail(pops.pos, "populations", "a mapping from population names to populations (at least one)",
             describe(pops));
    std::uint64_t total = 0;
    for (auto& e : pops.entries) population(e.key, e.key_pos, e.value, total);
}

void Loader::population(const std::string& pop_name, Pos key_pos, const Tree& t, std::uint64_t& total) {
    const std::string path = "populations." + pop_name;
    if (!valid_population_name(pop_name))
        fail(key_pos, path,
             "a population name of letters, digits and _, not starting with a digit (it names an HDF5 group)",
             quote(pop_name));
    expect_map(t, path, "a population (a mapping with model and size)");
    check_keys(t, path, {"model", "size", "parameters", "initial", "options", "spike_times", "spike_file"},
               "a key of a population");
    const auto models = model_names();
    const Tree& m = require(t, path, "model", "the neuron model, one of: " + join(models));
    const std::string model = name(m, path + ".model", "a model name " + one_of(models));
    const ModelInfo* info = find_model_info(model);
    if (!info)
        fail(m.pos, path + ".model", "a model name " + one_of(models),
             quote(model) + suggestion(model, models));

    PopulationSpec pop;
    pop.name = pop_name;
    pop.model = model;
    pop.info = info;
    pop.entry = find_model(model);
    pop.where = {t.pos.line, t.pos.column, path};
    const Tree& size = require(t, path, "size", "the number of neurons, a positive integer");
    pop.size = integer(size, path + ".size", 1, max_gids, "a positive integer");
    total += pop.size;
    if (total > max_gids)
        fail(size.pos, path + ".size", "at most 4294967295 neurons in all populations together",
             std::to_string(total) + " up to this population");

    if (info->is_spike_source) {
        check_keys(t, path, {"model", "size", "spike_times", "spike_file"},
                   "a key of a spike_source population",
                   " (spike_source neurons have no parameters and no state)");
        const Tree* times = t.find("spike_times");
        const Tree* file = t.find("spike_file");
        if (times && file) fail(t.pos, path, "either spike_times or spike_file, not both", "both");
        // No spike_times and no spike_file: a silent source (spike_times_ms stays empty).
        if (times) spike_times(pop, *times, path + ".spike_times");
        if (file) spike_file(pop, *file, path + ".spike_file");
        spec_.populations.push_back(std::move(pop));
        return;
    }
    check_keys(t, path, {"model", "size", "parameters", "initial", "options"},
               "a key of a population of " + model,
               " (spike_times and spike_file are for spike_source populations)");

    std::vector<std::string> pnames;
    for (auto& p : info->parameters) {
        pnames.push_back(p.name);
        pop.parameters[p.name] = p.default_value;
    }
    const Tree* params = t.find("parameters");
    const std::string ppath = path + ".parameters";
    if (params && !params->is_null()) {
        expect_map(*params, ppath, "a mapping from parameter names of " + model + " to values");
        for (auto& e : params->entries) {
            const std::string epath = ppath + "." + e.key;
            const ParameterInfo* pi = info->find_parameter(e.key);
            if (!pi)
                fail(e.key_pos, epath, "a parameter of " + model + " " + one_of(pnames),
                     quote(e.key) + suggestion(e.key, pnames));
            const double v = quantity(e.value, epath, pi->dim, std::isinf(pi->default_value));
            const std::string dn = dimension_name(pi->dim);
            if (pi->strictly_positive && !(v > 0))
                fail(e.value.pos, epath, dn + " above " + q(0, pi->dim), q(v, pi->dim));
            const bool has_min = std::isfinite(pi->min), has_max = std::isfinite(pi->max);
            if (v < pi->min || v > pi->max) {
                const std::string range =
                    has_min && has_max ? " in [" + q(pi->min, pi->dim) + ", " + q(pi->max, pi->dim) + "]"
                    : has_min          ? " of at least " + q(pi->min, pi->dim)
                                       : " of at most " + q(pi->max, pi->dim);
                fail(e.value.pos, epath, dn + range, q(v, pi->dim));
            }
            pop.parameters[e.key] = v;
        }
    }
    if (info->check) {
        const std::string why = info->check(pop.parameters);
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
            fail(at.pos, params ? ppath : path, why, shown.empty() ? "parameters that are not" : join(shown));
        }
    }

    // Options: string choices of the model (e.g. an integration scheme), defaults filled in.
    std::vector<std::string> onames;
    for (auto& [oname, allowed] : info->options) {
        onames.push_back(oname);
        pop.options.push_back(0);
    }
    if (const Tree* opts = t.find("options"); opts && !opts->is_null()) {
        const std::string opath = path + ".options";
        expect_map(*opts, opath, "a mapping from options of " + model + " to values");
        for (auto& e : opts->entries) {
            const std::string epath = opath + "." + e.key;
            auto it = std::find_if(info->options.begin(), info->options.end(),
                                   [&](auto& o) { return o.first == e.key; });
            if (it == info->options.end())
                fail(e.key_pos, epath, "an option of " + model + " " + one_of(onames),
                     quote(e.key) + suggestion(e.key, onames));
            const std::string v = choice(e.value, epath, "a value of option " + e.key + " of " + model, it->second);
            pop.options[std::size_t(it - info->options.begin())] =
                int(std::find(it->second.begin(), it->second.end(), v) - it->second.begin());
        }
    }

    if (const Tree* init = t.find("initial"); init && !init->is_null()) {
        const std::string ipath = path + ".initial";
        expect_map(*init, ipath, "a mapping from state variables of " + model + " to values");
        std::vector<std::string> snames;
        for (auto& s : info->state) snames.push_back(s.name);
        for (auto& e : init->entries) {
            const StateInfo* si = info->find_state(e.key);
            if (!si)
                fail(e.key_pos, ipath + "." + e.key, "a state variable of " + model + " " + one_of(snames),
                     quote(e.key) + suggestion(e.key, snames));
            pop.initial[e.key] = distribution(e.value, ipath + "." + e.key, si->dim);
        }
    }
    spec_.populations.push_back(std::move(pop));
}

void Loader::spike_times(PopulationSpec& pop, const Tree& t, const std::string& path) const {
    if (!t.is_seq())
        fail(t.pos, path, "a list with one list of spike times per node, e.g. [[1 ms, 5.5 ms], [2 ms]]",
             describe(t));
    if (t.items.size() != pop.size)
        fail(t.pos, path,
             "one list of spike times per node (" + std::to_string(pop.size) + " lists, the size of " +
                 pop.name + ")",
             std::to_string(t.items.size()) + (t.items.size() == 1 ? " list" : " lists"));
    pop.spike_times_ms.assign(pop.size, {});
    for (std::size_t n = 0; n < t.items.size(); ++n) {
        const Tree& node = t.items[n];
        const std::string npath = index_path(path, n);
        if (node.is_null()) continue;  // "- " : no spikes
        if (!node.is_seq())
            fail(node.pos, npath, "a list of spike times, e.g. [1 ms, 5.5 ms]", describe(node));
        auto& out = pop.spike_times_ms[n];
        for (std::size_t k = 0; k < node.items.size(); ++k) {
            const double v = quantity(node.items[k], index_path(npath, k), Dimension::time);
            if (!(v >= 0))
                fail(node.items[k].pos, index_path(npath, k), "a spike time of at least 0 ms",
                     q(v, Dimension::time));
            out.push_back(v);
        }
        std::sort(out.begin(), out.end());
    }
}

void Loader::spike_file(PopulationSpec& pop, const Tree& t, const std::string& path) {
    expect_map(t, path, "a mapping {path: FILE.h5, population: NAME}");
    check_keys(t, path, {"path", "population"}, "a key of spike_file");
    const Tree& p = require(t, path, "path", "a SONATA spike file, relative to the description's folder");
    const std::string ppath = path + ".path";
    fs::path file = name(p, ppath, "a SONATA spike file (a path)");
    if (file.is_relative()) file = base_dir_ / file;
    std::string population;
    if (const Tree* pp = t.find("population"))
        population = name(*pp, path + ".population", "a population name in the file");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        fail(p.pos, ppath, "a readable SONATA spike file",
             quote(file.string()) + (fs::exists(file, ec) ? " (not a regular file)" : " (no such file)"));
    std::vector<std::pair<std::uint64_t, double>> spikes;
    try {
        spikes = read_sonata_spikes(file, population);
    } catch (const UserError& e) {
        fail(p.pos, ppath, "a readable SONATA spike file", e.what());
    } catch (const RuntimeFailure& e) {
        fail(p.pos, ppath, "a readable SONATA spike file", e.what());
    }
    std::uint64_t n_nodes = 0;  // up to the highest node id that spikes
    for (auto& [node, time] : spikes) {
        n_nodes = std::max(n_nodes, node + 1);
        if (node >= pop.size)
            fail(p.pos, ppath,
                 "node ids below " + std::to_string(pop.size) + " (the size of population " + pop.name + ")",
                 "node id " + std::to_string(node) + " in " + quote(file.string()));
        if (!std::isfinite(time) || time < 0)
            fail(p.pos, ppath, "spike times of at least 0 ms",
                 q(time, Dimension::time) + " in " + quote(file.string()));
    }
    pop.spike_times_ms.assign(n_nodes, {});
    for (auto& [node, time] : spikes) pop.spike_times_ms[node].push_back(time);
    for (auto& v : pop.spike_times_ms) std::sort(v.begin(), v.end());
    spike_files_[pop.name] = {fs::absolute(file, ec).lexically_normal().string(), population};
}

// ---------------------------------------------------------------------------------------
// projections

int Loader::receptor(const Tree& item, const std::string& path, const PopulationSpec& target) const {
    const ModelInfo& info = *target.info;
    std::vector<std::string> names;
    for (auto& r : info.receptors) names.push_back(r.name);
    const std::string what = "a receptor of " + info.name + ", the model of population " + target.name;
    if (const Tree* r = item.find("receptor")) {
        const std::string rpath = key_path(path, "receptor");
        const std::string n = name(*r, rpath, what + " " + one_of(names));
        const int i = info.find_receptor(n);
        if (i < 0) fail(r->pos, rpath, what + " " + one_of(names), quote(n) + suggestion(n, names));
        return i;
    }
    if (info.route_by_sign && !info.receptors.empty()) return -1;
    std::string listed;
    for (std::size_t i = 0; i < names.size(); ++i)
        listed += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    require(item, path, "receptor",
            info.name + ", the model of population " + target.name + ", needs one named: " + listed);
    return -1;  // not reached
}

Distribution Loader::delay(const Tree& t, const std::string& path) {
    const double dt = spec_.simulation.dt_ms;
    const double tolerance = dt * 1e-9;
    Distribution d = distribution(t, path, Dimension::time);
    if (d.is_constant()) {
        if (d.value < dt - tolerance)
            fail(t.pos, path, "a delay of at least dt (" + q(dt, Dimension::time) + ")",
                 q(d.value, Dimension::time));
        const double steps = d.value / dt, r = std::floor(steps + 0.5 + 1e-9);
        if (std::abs(steps - r) > 1e-6) {
            const double rounded = tidy(r * dt);
            warn(t.pos, path,
                 q(d.value, Dimension::time) + " is not a multiple of dt (" + q(dt, Dimension::time) +
                     "); rounded to " + q(rounded, Dimension::time));
            d.value = rounded;
        }
    } else if (lower_bound(d) < dt - tolerance) {
        fail(t.pos, path,
             "a delay of at least dt (" + q(dt, Dimension::time) +
                 ") for every draw: add min: " + q(dt, Dimension::time),
             describe(d, Dimension::time));
    }
    return d;
}

void Loader::connectivity(ProjectionSpec& p, const Tree& c, const std::string& path) const {
    const auto rnames = names_of(rules);
    expect_map(c, path, "a mapping {rule: ..., ...} with rule " + one_of(rnames));
    check_keys(c, path, {"rule", "p", "indegree", "outdegree", "N", "allow_autapses", "allow_multapses"},
               "a key of connectivity");
    const Tree& r = require(c, path, "rule", "a connection rule " + one_of(rnames));
    const std::string rule = name(r, path + ".rule", "a connection rule " + one_of(rnames));
    auto it = std::find_if(rules.begin(), rules.end(), [&](auto& e) { return e.first == rule; });
    if (it == rules.end())
        fail(r.pos, path + ".rule", "a connection rule " + one_of(rnames),
             quote(rule) + suggestion(rule, rnames));
    p.rule = it->second;
    std::vector<std::string> valid = {"rule"};
    if (*rule_key(p.rule)) valid.push_back(rule_key(p.rule));
    valid.push_back("allow_autapses");
    valid.push_back("allow_multapses");
    check_keys(c, path, valid, "a key of " + rule + " connectivity");
    if (auto* a = c.find("allow_autapses")) p.allow_autapses = boolean(*a, path + ".allow_autapses");
    if (auto* m = c.find("allow_multapses")) p.allow_multapses = boolean(*m, path + ".allow_multapses");

    const PopulationSpec* src = nullptr;
    const PopulationSpec* tgt = nullptr;
    for (auto& pop : spec_.populations) {
        if (pop.name == p.source) src = &pop;
        if (pop.name == p.target) tgt = &pop;
    }
    const bool same = p.source == p.target;
    switch (p.rule) {
    case ConnectionRule::all_to_all: break;
    case ConnectionRule::one_to_one:
        if (src->size != tgt->size)
            fail(r.pos, path + ".rule", "source and target populations of the same size for one_to_one",
                 p.source + " with " + std::to_string(src->size) + " and " + p.target + " with " +
                     std::to_string(tgt->size) + " neurons");
        break;
    case ConnectionRule::pairwise_bernoulli: {
        const Tree& v = require(c, path, "p", "the connection probability, a number in [0, 1]");
        p.p = quantity(v, path + ".p", Dimension::dimensionless);
        if (!(p.p >= 0 && p.p <= 1)) fail(v.pos, path + ".p", "a probability in [0, 1]", format_number(p.p));
        break;
    }
    case ConnectionRule::fixed_indegree:
    case ConnectionRule::fixed_outdegree: {
        const bool in = p.rule == ConnectionRule::fixed_indegree;
        const std::string key = in ? "indegree" : "outdegree";
        const Tree& v = require(
            c, path, key, std::string("the number of ") + (in ? "sources per target" : "targets per source"));
        p.degree = integer(v, path + "." + key, 0, std::numeric_limits<std::uint64_t>::max(),
                           "a non-negative integer");
        const PopulationSpec& pool = in ? *src : *tgt;
        const std::uint64_t available = pool.size - (same && !p.allow_autapses ? 1 : 0);
        if (p.degree > 0 && (available == 0 || (!p.allow_multapses && p.degree > available)))
            fail(v.pos, path + "." + key,
                 "an " + key + " of at most " + std::to_string(available) + " (" +
                     (in ? "source " : "target ") + pool.name + " has " + std::to_string(pool.size) +
                     " neurons" + (same && !p.allow_autapses ? ", one of them excluded as an autapse" : "") +
                     (p.allow_multapses ? "" : "; multapses are off") + ")",
                 std::to_string(p.degree));
        break;
    }
    case ConnectionRule::fixed_total_number: {
        const Tree& v = require(c, path, "N", "the total number of synapses");
        p.degree =
            integer(v, path + ".N", 0, std::numeric_limits<std::uint64_t>::max(), "a non-negative integer");
        if (!p.allow_multapses) {
            const Tree& m = *c.find("allow_multapses");
            fail(m.pos, path + ".allow_multapses",
                 "allow_multapses: true (fixed_total_number without multapses is not supported, as in NEST)",
                 "false");
        }
        break;
    }
    }
}

void Loader::projections(const Tree* t) {
    if (!t || t->is_null()) return;
    if (!t->is_seq()) fail(t->pos, "projections", "a list of projections", describe(*t));
    for (std::size_t i = 0; i < t->items.size(); ++i) {
        const Tree& item = t->items[i];
        const std::string path = index_path("projections", i);
        expect_map(item, path,
                   "a projection (a mapping with source, target, connectivity, weight and delay)");
        check_keys(item, path, {"name", "source", "target", "connectivity", "weight", "delay", "receptor"},
                   "a key of a projection");
        ProjectionSpec p;
        p.where = {item.pos.line, item.pos.column, path};
        const std::size_t si =
            population_ref(require(item, path, "source", "the source population"), path + ".source");
        const Tree& tt = require(item, path, "target", "the target population");
        const std::size_t ti = population_ref(tt, path + ".target");
        p.source = spec_.populations[si].name;
        p.target = spec_.populations[ti].name;
        const PopulationSpec& target = spec_.populations[ti];
        const ModelInfo& tinfo = *target.info;
        if (tinfo.is_spike_source || tinfo.receptors.empty())
            fail(tt.pos, path + ".target", "a target population whose neurons take input",
                 quote(p.target) + " (a " + target.model + " population, which has no receptors)");
        p.name = p.source + "->" + p.target;
        const Tree* nm = item.find("name");
        if (nm) p.name = name(*nm, path + ".name", "a projection name");
        for (std::size_t k = 0; k < spec_.projections.size(); ++k)
            if (spec_.projections[k].name == p.name)
                fail(nm ? nm->pos : item.pos, path + ".name",
                     "a projection name not used before (projections[" + std::to_string(k) + "] is " +
                         quote(p.name) + "; give each a different name:)",
                     quote(p.name));
        connectivity(p,
                     require(item, path, "connectivity",
                             "the connection rule, e.g. {rule: fixed_indegree, indegree: 100}"),
                     path + ".connectivity");

        const int r = receptor(item, path, target);
        p.receptor = r;
        const ReceptorInfo& rinfo = tinfo.receptors[std::size_t(std::max(r, 0))];
        const Dimension wdim = rinfo.weight_dim;
        const Tree& w = require(item, path, "weight",
                                "the synaptic weight, " + expected_quantity(wdim) + " or a distribution");
        p.weight = distribution(w, path + ".weight", wdim);
        const bool may_be_negative = r < 0 || rinfo.signed_weights;  // r < 0: routed by sign
        if (!may_be_negative && lower_bound(p.weight) < 0) {
            const std::string why =
                "receptor " + rinfo.name + " of " + tinfo.name + " takes only weights >= " + q(0, wdim);
            if (p.weight.is_constant())
                fail(w.pos, path + ".weight", "a non-negative weight (" + why + ")", q(p.weight.value, wdim));
            fail(w.pos, path + ".weight",
                 "a weight distribution that never draws below " + q(0, wdim) + " (" + why +
                     "): add min: " + q(0, wdim),
                 describe(p.weight, wdim));
        }
        p.delay =
            delay(require(item, path, "delay", "the synaptic delay, a time of at least dt or a distribution"),
                  path + ".delay");
        spec_.projections.push_back(std::move(p));
    }
}

// ---------------------------------------------------------------------------------------
// stimuli

void Loader::stimuli(const Tree* t) {
    if (!t || t->is_null()) return;
    if (!t->is_seq()) fail(t->pos, "stimuli", "a list of stimuli", describe(*t));
    const auto mnames = names_of(stimulus_models);
    for (std::size_t i = 0; i < t->items.size(); ++i) {
        const Tree& item = t->items[i];
        const std::string path = index_path("stimuli", i);
        expect_map(item, path, "a stimulus (a mapping with model and targets)");
        check_keys(item, path,
                   {"name", "model", "target", "targets", "rate", "weight", "delay", "receptor", "amplitude",
                    "times", "amplitudes", "mean", "std", "tau", "compartment", "start", "stop"},
                   "a key of a stimulus");
        StimulusSpec s;
        s.where = {item.pos.line, item.pos.column, path};
        const Tree& m = require(item, path, "model", "the kind of stimulus " + one_of(mnames));
        const std::string model = name(m, path + ".model", "a stimulus model " + one_of(mnames));
        auto it = std::find_if(stimulus_models.begin(), stimulus_models.end(),
                               [&](auto& e) { return e.first == model; });
        if (it == stimulus_models.end())
            fail(m.pos, path + ".model", "a stimulus model " + one_of(mnames),
                 quote(model) + suggestion(model, mnames));
        s.kind = it->second;
        std::vector<std::string> valid = {"name", "model", "target", "targets"};
        switch (s.kind) {
        case StimulusSpec::Kind::poisson_generator:
            for (const char* k : {"rate", "weight", "delay", "receptor"}) valid.push_back(k);
            break;
        case StimulusSpec::Kind::dc_current:
            valid.push_back("amplitude");
            valid.push_back("compartment");
            break;
        case StimulusSpec::Kind::step_current:
            valid.push_back("times");
            valid.push_back("amplitudes");
            valid.push_back("compartment");
            break;
        case StimulusSpec::Kind::noise_current:
            for (const char* k : {"mean", "std", "tau", "compartment"}) valid.push_back(k);
            break;
        }
        valid.push_back("start");
        valid.push_back("stop");
        check_keys(item, path, valid, "a key of a " + model + " stimulus");

        s.name = model + "_" + std::to_string(i);
        const Tree* nm = item.find("name");
        if (nm) s.name = name(*nm, path + ".name", "a stimulus name");
        for (std::size_t k = 0; k < spec_.stimuli.size(); ++k)
            if (spec_.stimuli[k].name == s.name)
                fail(nm ? nm->pos : item.pos, path + ".name",
                     "a stimulus name not used before (stimuli[" + std::to_string(k) + "] is " +
                         quote(s.name) + ")",
                     quote(s.name));

        // Targets.
        const Tree* one = item.find("target");
        const Tree* many = item.find("targets");
        if (one && many) fail(many->pos, path + ".targets", "either target or targets, not both", "both");
        if (!one && !many) require(item, path, "targets", "a list of population names (or target: NAME)");
        std::vector<std::pair<const Tree*, std::string>> refs;  // node, path
        if (one)
            refs.push_back({one, path + ".target"});
        else {
            if (!many->is_seq() || many->items.empty())
                fail(many->pos, path + ".targets", "a non-empty list of population names", describe(*many));
            for (std::size_t k = 0; k < many->items.size(); ++k)
                refs.push_back({&many->items[k], index_path(path + ".targets", k)});
        }
        std::vector<std::size_t> targets;
        for (auto& [node, tpath] : refs) {
            const std::size_t ti = population_ref(*node, tpath);
            const PopulationSpec& pop = spec_.populations[ti];
            const ModelInfo& tinfo = *pop.info;
            if (tinfo.is_spike_source)
                fail(node->pos, tpath, "a target population whose neurons take input",
                     quote(pop.name) + " (a spike_source population)");
            if (tinfo.receptors.empty() && tinfo.compartments.empty())  // e.g. poisson_source
                fail(node->pos, tpath, "a target population whose neurons take input",
                     quote(pop.name) + " (a " + pop.model + " population, which takes no input)");
            if (std::find(targets.begin(), targets.end(), ti) != targets.end())
                fail(node->pos, tpath, "each target population once", quote(pop.name) + " again");
            targets.push_back(ti);
            s.targets.push_back(pop.name);
        }

        if (const Tree* c = item.find("compartment")) {
            // Current stimuli may target a compartment other than the soma; every target
            // model must have it.
            const std::string cpath = path + ".compartment";
            const std::string compartment = name(*c, cpath, "a compartment name");
            for (std::size_t ti : targets) {
                const ModelInfo& info = *spec_.populations[ti].info;
                const int ci = info.find_compartment(compartment);
                if (ci < 0)
                    fail(c->pos, cpath,
                         "a compartment of " + info.name + ", the model of population " +
                             spec_.populations[ti].name + " " + one_of(info.compartments),
                         quote(compartment) + suggestion(compartment, info.compartments));
                s.compartments.push_back(ci);
            }
        }
        if (auto* v = item.find("start")) {
            s.start_ms = quantity(*v, path + ".start", Dimension::time);
            if (!(s.start_ms >= 0))
                fail(v->pos, path + ".start", "a start time of at least 0 ms",
                     q(s.start_ms, Dimension::time));
        }
        if (auto* v = item.find("stop")) {
            s.stop_ms = quantity(*v, path + ".stop", Dimension::time);
            if (!(s.stop_ms >= s.start_ms))
                fail(v->pos, path + ".stop",
                     "a stop time at or after start (" + q(s.start_ms, Dimension::time) + ")",
                     q(s.stop_ms, Dimension::time));
        }

        switch (s.kind) {
        case StimulusSpec::Kind::poisson_generator: {
            const Tree& rate =
                require(item, path, "rate", "the rate of each neuron's Poisson train, e.g. 20 kHz");
            s.rate_hz = quantity(rate, path + ".rate", Dimension::frequency);
            if (!(s.rate_hz >= 0))
                fail(rate.pos, path + ".rate", "a rate of at least 0 Hz", q(s.rate_hz, Dimension::frequency));
            // One receptor name (or routing by sign) for every target; one weight dimension.
            const ReceptorInfo* first = nullptr;
            for (std::size_t k = 0; k < targets.size(); ++k) {
                const PopulationSpec& pop = spec_.populations[targets[k]];
                const ModelInfo& info = *pop.info;
                const int r = receptor(item, path, pop);
                if (r >= 0) s.receptors.push_back(r);
                const ReceptorInfo& ri = info.receptors[std::size_t(std::max(r, 0))];
                if (!first)
                    first = &ri;
                else if (ri.weight_dim != first->weight_dim)
                    fail(refs[k].first->pos, refs[k].second,
                         "target populations whose receptors all take " +
                             std::string(dimension_name(first->weight_dim)) + " as weight (" + s.targets[0] +
                             " does)",
                         quote(pop.name) + " (its receptor " + ri.name + " takes " +
                             dimension_name(ri.weight_dim) + ")");
            }
            const Tree& w =
                require(item, path, "weight",
                        "the weight of each input spike, " + expected_quantity(first->weight_dim));
            s.weight = quantity(w, path + ".weight", first->weight_dim);
            for (std::size_t k = 0; k < targets.size(); ++k) {
                const ModelInfo& info = *spec_.populations[targets[k]].info;
                const int r = s.receptors.empty() ? -1 : s.receptors[k];
                const ReceptorInfo& ri = info.receptors[std::size_t(std::max(r, 0))];
                if (r >= 0 && !ri.signed_weights && s.weight < 0)
                    fail(w.pos, path + ".weight",
                         "a non-negative weight (receptor " + ri.name + " of " + info.name +
                             " takes only weights >= " + q(0, ri.weight_dim) + ")",
                         q(s.weight, ri.weight_dim));
            }
            s.delay_ms =
                delay(require(item, path, "delay", "the delay of each input spike, a time of at least dt"),
                      path + ".delay")
                    .value;
            break;
        }
        case StimulusSpec::Kind::dc_current: {
            const Tree& a = require(item, path, "amplitude", "the current, e.g. 100 pA");
            s.amplitude_pA = quantity(a, path + ".amplitude", Dimension::current);
            break;
        }
        case StimulusSpec::Kind::step_current: {
            const Tree& times =
                require(item, path, "times", "a list of times at which the amplitude changes");
            const Tree& amps = require(item, path, "amplitudes", "a list of currents, one per time");
            if (!times.is_seq() || times.items.empty())
                fail(times.pos, path + ".times", "a non-empty list of times, e.g. [100 ms, 200 ms]",
                     describe(times));
            if (!amps.is_seq())
                fail(amps.pos, path + ".amplitudes", "a list of currents, e.g. [50 pA, 0 pA]",
                     describe(amps));
            if (amps.items.size() != times.items.size())
                fail(amps.pos, path + ".amplitudes",
                     "one amplitude per time (" + std::to_string(times.items.size()) + ")",
                     std::to_string(amps.items.size()));
            for (std::size_t k = 0; k < times.items.size(); ++k) {
                const std::string tp = index_path(path + ".times", k);
                const double v = quantity(times.items[k], tp, Dimension::time);
                if (!(v >= 0)) fail(times.items[k].pos, tp, "a time of at least 0 ms", q(v, Dimension::time));
                if (k > 0 && !(v > s.times_ms.back()))
                    fail(times.items[k].pos, tp,
                         "times in strictly increasing order (after " +
                             q(s.times_ms.back(), Dimension::time) + ")",
                         q(v, Dimension::time));
                s.times_ms.push_back(v);
                s.amplitudes_pA.push_back(
                    quantity(amps.items[k], index_path(path + ".amplitudes", k), Dimension::current));
            }
            break;
        }
        case StimulusSpec::Kind::noise_current: {
            if (auto* v = item.find("mean")) s.mean_pA = quantity(*v, path + ".mean", Dimension::current);
            const Tree& sd = require(item, path, "std", "the standard deviation of the current, e.g. 50 pA");
            s.std_pA = quantity(sd, path + ".std", Dimension::current);
            if (!(s.std_pA >= 0))
                fail(sd.pos, path + ".std", "a standard deviation of at least 0 pA",
                     q(s.std_pA, Dimension::current));
            const Tree& tau = require(item, path, "tau", "the correlation time of the current, e.g. 2 ms");
            s.tau_ms = positive_time(tau, path + ".tau");
            break;
        }
        }
        spec_.stimuli.push_back(std::move(s));
    }
}

// ---------------------------------------------------------------------------------------
// recordings

void Loader::recordings(const Tree* t) {
    auto all = [&] {
        spec_.spike_recordings.clear();
        for (auto& p : spec_.populations) spec_.spike_recordings.push_back(p.name);
    };
    all();
    output_files_["spikes.h5"] = "recordings.spikes";
    if (!t || t->is_null()) return;
    const std::vector<std::string> keys = {"spikes", "state", "population_rates"};
    expect_map(*t, "recordings", "a mapping of recordings (" + join(keys) + ")");
    check_keys(*t, "recordings", keys, "a key of recordings");
    if (const Tree* s = t->find("state")) state_recordings(*s, "recordings.state");
    if (const Tree* r = t->find("population_rates")) population_rates(*r, "recordings.population_rates");
    const Tree* s = t->find("spikes");
    if (!s) return;
    const std::string path = "recordings.spikes";
    if (s->is_scalar() && s->text == "all") return;
    if (!s->is_seq()) fail(s->pos, path, "all or a list of population names", describe(*s));
    spec_.spike_recordings.clear();
    for (std::size_t k = 0; k < s->items.size(); ++k) {
        const std::string n = spec_.populations[population_ref(s->items[k], index_path(path, k))].name;
        if (std::find(spec_.spike_recordings.begin(), spec_.spike_recordings.end(), n) !=
            spec_.spike_recordings.end())
            fail(s->items[k].pos, index_path(path, k), "each population once", quote(n) + " again");
        spec_.spike_recordings.push_back(n);
    }
}

bool valid_recording_name(const std::string& n) {
    if (n.empty() || n[0] == '.' || n[0] == '-') return false;
    for (char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
    return true;
}

// The name of a state recording or population rate: given or `fallback`, unique among both.
std::string Loader::recording_name(const Tree& item, const std::string& path, const std::string& fallback) {
    const Tree* nm = item.find("name");
    const std::string npath = path + ".name";
    const std::string n = nm ? name(*nm, npath, "a recording name") : fallback;
    const Pos at = nm ? nm->pos : item.pos;
    if (!valid_recording_name(n))
        fail(at, npath,
             "a recording name of letters, digits, _, - and ., not starting with . or - (it names output "
             "files)",
             quote(n));
    for (auto& [other, opath] : recording_names_)
        if (other == n)
            fail(at, npath,
                 "a recording name not used before (" + opath + " is " + quote(n) +
                     "; give each recording a different name)",
                 quote(n));
    recording_names_.push_back({n, path});
    return n;
}

// Two recordings must not write the same file of the output folder.
void Loader::claim_files(const Tree& item, const std::string& path, const std::string& name,
                         const std::vector<std::string>& files) {
    for (auto& f : files) {
        auto [it, fresh] = output_files_.emplace(f, path);
        if (!fresh) {
            const Tree* nm = item.find("name");
            fail(nm ? nm->pos : item.pos, path + ".name",
                 "a recording name whose output files are its own (" + it->second + " writes " + quote(f) +
                     ")",
                 quote(name));
        }
    }
}

// start (default 0 ms, on the step grid) and stop (default t_stop, after start).
void Loader::recording_window(const Tree& item, const std::string& path, double& start_ms,
                              double& stop_ms) const {
    start_ms = 0.0;
    if (auto* v = item.find("start")) start_ms = grid_time(*v, path + ".start", "a start time", false);
    stop_ms = spec_.simulation.t_stop_ms;
    if (auto* v = item.find("stop")) {
        stop_ms = quantity(*v, path + ".stop", Dimension::time);
        if (!(stop_ms > start_ms))
            fail(v->pos, path + ".stop", "a stop time after start (" + q(start_ms, Dimension::time) + ")",
                 q(stop_ms, Dimension::time));
    } else if (!(stop_ms > start_ms)) {
        fail(item.find("start")->pos, path + ".start",
             "a start time before stop (t_stop, " + q(stop_ms, Dimension::time) + ")",
             q(start_ms, Dimension::time));
    }
}

// Node ids of `pop`: a list, {range: [first, stop, step]}, {sample: n, seed: s} or all.
std::vector<std::uint32_t> Loader::nodes(const Tree& t, const std::string& path, const PopulationSpec& pop,
                                         NodeSelection& how) const {
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
        if (t.items.empty()) fail(t.pos, path, "a non-empty list of node ids", "an empty list");
        std::map<std::uint64_t, std::size_t> seen;  // node id -> first index
        for (std::size_t k = 0; k < t.items.size(); ++k) {
            const std::string ipath = index_path(path, k);
            const std::uint64_t id = integer(t.items[k], ipath, 0, pop.size - 1, "a node id below " + size + of);
            if (auto [it, fresh] = seen.emplace(id, k); !fresh)
                fail(t.items[k].pos, ipath, "each node once",
                     std::to_string(id) + " again (first at " + index_path(path, it->second) + ")");
            ids.push_back(std::uint32_t(id));
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    if (!t.is_map()) fail(t.pos, path, forms, describe(t));
    check_keys(t, path, {"range", "sample", "seed"}, "a key of a node selection");
    const Tree* range = t.find("range");
    const Tree* sample = t.find("sample");
    if (range && sample) fail(sample->pos, path + ".sample", "either range or sample, not both", "both");
    if (range) {
        check_keys(t, path, {"range"}, "a key of a node range", " (seed belongs to sample)");
        how.kind = NodeSelection::Kind::range;
        const std::string rpath = path + ".range";
        if (!range->is_seq() || range->items.size() < 2 || range->items.size() > 3)
            fail(range->pos, rpath,
                 "a list [first, stop] or [first, stop, step] (node ids first, first + step, ... below stop)",
                 describe(*range));
        how.stop = integer(range->items[1], index_path(rpath, 1), 1, pop.size, "a stop from 1 to " + size + of);
        how.first = integer(range->items[0], index_path(rpath, 0), 0, how.stop - 1,
                            "a first node id below stop (" + std::to_string(how.stop) + ")");
        if (range->items.size() == 3)
            how.step = integer(range->items[2], index_path(rpath, 2), 1, max_gids, "a positive integer step");
        for (std::uint64_t i = how.first; i < how.stop; i += how.step) ids.push_back(std::uint32_t(i));
        return ids;
    }
    const Tree& n = require(t, path, "sample", forms);
    how.kind = NodeSelection::Kind::sample;
    how.n = integer(n, path + ".sample", 1, pop.size, "a number of nodes from 1 to " + size + of);
    const Tree& seed = require(t, path, "seed", "the seed of the sample, an integer in [0, 4294967295]");
    how.seed =
        std::uint32_t(integer(seed, path + ".seed", 0, 4294967295ull, "an integer in [0, 4294967295]"));
    return sample_nodes(pop.size, how.n, how.seed);
}

void Loader::state_recordings(const Tree& t, const std::string& path) {
    if (t.is_null()) return;
    if (!t.is_seq()) fail(t.pos, path, "a list of state recordings", describe(t));
    for (std::size_t i = 0; i < t.items.size(); ++i) {
        const Tree& item = t.items[i];
        const std::string ipath = index_path(path, i);
        expect_map(item, ipath, "a state recording (a mapping with population, variables and nodes)");
        check_keys(item, ipath, {"name", "population", "variables", "nodes", "interval", "start", "stop"},
                   "a key of a state recording");
        StateRecordingSpec r;
        r.where = {item.pos.line, item.pos.column, ipath};
        const Tree& p = require(item, ipath, "population", "the population whose state is sampled");
        const PopulationSpec& pop = spec_.populations[population_ref(p, ipath + ".population")];
        r.population = pop.name;
        const ModelInfo& info = *pop.info;
        if (info.state.empty())
            fail(p.pos, ipath + ".population", "a population whose neurons have state variables",
                 quote(pop.name) + " (a " + pop.model + " population, which has none)");
        r.name = recording_name(item, ipath, pop.name + "_state");

        std::vector<std::string> snames;
        for (auto& si : info.state) snames.push_back(si.name);
        const std::string vpath = ipath + ".variables";
        const std::string what = "a state variable of " + pop.model + ", the model of population " + pop.name;
        const Tree& vars = require(item, ipath, "variables", "a list of state variables " + one_of(snames));
        if (!vars.is_seq() || vars.items.empty())
            fail(vars.pos, vpath, "a non-empty list of state variables " + one_of(snames), describe(vars));
        for (std::size_t k = 0; k < vars.items.size(); ++k) {
            const Tree& v = vars.items[k];
            const std::string n = name(v, index_path(vpath, k), what + " " + one_of(snames));
            const auto at = std::find(snames.begin(), snames.end(), n);
            if (at == snames.end())
                fail(v.pos, index_path(vpath, k), what + " " + one_of(snames),
                     quote(n) + suggestion(n, snames));
            const int si = int(at - snames.begin());
            if (std::find(r.variables.begin(), r.variables.end(), si) != r.variables.end())
                fail(v.pos, index_path(vpath, k), "each state variable once", quote(n) + " again");
            r.variables.push_back(si);
        }
        std::vector<std::string> files;
        for (int v : r.variables) files.push_back(r.name + "_" + snames[std::size_t(v)] + ".h5");
        claim_files(item, ipath, r.name, files);

        NodeSelection how;
        r.nodes = nodes(require(item, ipath, "nodes", "the node ids to sample: list, {range: [first, stop]}, "
                                                      "{sample: n, seed: s} or all"),
                        ipath + ".nodes", pop, how);
        r.interval_ms = spec_.simulation.dt_ms;
        if (auto* v = item.find("interval"))
            r.interval_ms = grid_time(*v, ipath + ".interval", "an interval", true);
        recording_window(item, ipath, r.start_ms, r.stop_ms);
        spec_.state_recordings.push_back(std::move(r));
        node_selections_.push_back(how);
    }
}

void Loader::population_rates(const Tree& t, const std::string& path) {
    if (t.is_null()) return;
    if (!t.is_seq()) fail(t.pos, path, "a list of population rate recordings", describe(t));
    for (std::size_t i = 0; i < t.items.size(); ++i) {
        const Tree& item = t.items[i];
        const std::string ipath = index_path(path, i);
        expect_map(item, ipath, "a population rate recording (a mapping with population and bin)");
        check_keys(item, ipath, {"name", "population", "bin", "start", "stop"},
                   "a key of a population rate recording");
        PopulationRateSpec r;
        r.where = {item.pos.line, item.pos.column, ipath};
        const Tree& p = require(item, ipath, "population", "the population whose rates are binned");
        r.population = spec_.populations[population_ref(p, ipath + ".population")].name;
        r.name = recording_name(item, ipath, r.population + "_rates");
        claim_files(item, ipath, r.name, {r.name + ".h5"});
        const double dt = spec_.simulation.dt_ms;
        if (auto* v = item.find("bin"))
            r.bin_ms = grid_time(*v, ipath + ".bin", "a bin width", true);
        else if (!(grid_steps(r.bin_ms, dt) >= 1))
            require(item, ipath, "bin",
                    "the bin width; the default, " + q(r.bin_ms, Dimension::time) +
                        ", is not a positive multiple of dt (" + q(dt, Dimension::time) + ")");
        recording_window(item, ipath, r.start_ms, r.stop_ms);
        spec_.population_rates.push_back(std::move(r));
    }
}

// ---------------------------------------------------------------------------------------
// The whole description

NetworkSpec Loader::build(const Tree& root) {
    spec_ = NetworkSpec{};
    spec_.file = file_;
    node_selections_.clear();
    recording_names_.clear();
    output_files_.clear();
    if (root.is_null())
        throw DescriptionError(file_, 0, 0, "", "a description (a mapping with a populations key)",
                               "an empty document");
    if (!root.is_map())
        fail(root.pos, "", "a description (a mapping with a populations key)", describe(root));
    check_keys(root, "", {"simulation", "populations", "projections", "stimuli", "recordings"},
               "a top-level key");
    simulation(root.find("simulation"));
    populations(root);
    projections(root.find("projections"));
    stimuli(root.find("stimuli"));
    recordings(root.find("recordings"));
    spec_.resolved_yaml = emit();
    return std::move(spec_);
}

// ---------------------------------------------------------------------------------------
// The resolved description

void emit_distribution(YAML::Emitter& out, const Distribution& d, Dimension dim) {
    if (d.is_constant()) {
        out << q(d.value, dim);
        return;
    }
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "distribution" << YAML::Value
        << distribution_name(d.kind);
    if (d.kind == Distribution::Kind::uniform)
        out << YAML::Key << "low" << YAML::Value << q(d.low, dim) << YAML::Key << "high" << YAML::Value
            << q(d.high, dim);
    else
        out << YAML::Key << "mean" << YAML::Value << q(d.mean, dim) << YAML::Key << "std" << YAML::Value
            << q(d.std, dim);
    if (d.min) out << YAML::Key << "min" << YAML::Value << q(*d.min, dim);
    if (d.max) out << YAML::Key << "max" << YAML::Value << q(*d.max, dim);
    out << YAML::EndMap;
}

Dimension weight_dim(const PopulationSpec& target, int receptor) {
    return target.info->receptors[std::size_t(std::max(receptor, 0))].weight_dim;
}

std::string Loader::emit() const {
    const auto time = Dimension::time;
    auto pop_of = [&](const std::string& n) -> const PopulationSpec& {
        for (auto& p : spec_.populations)
            if (p.name == n) return p;
        throw std::logic_error("resolved description: unknown population " + n);
    };
    YAML::Emitter out;
    // A list entry of the top-level mapping (written [] when empty).
    auto begin_list = [&](const char* key, bool empty) {
        out << YAML::Key << key << YAML::Value;
        if (empty) out << YAML::Flow;
        out << YAML::BeginSeq;
    };
    auto start_stop = [&](double start_ms, double stop_ms) {
        out << YAML::Key << "start" << YAML::Value << q(start_ms, time);
        out << YAML::Key << "stop" << YAML::Value << q(stop_ms, time);
    };
    out << YAML::Comment("apical: the resolved description of " + fs::path(file_).filename().string() +
                         " (every value that was simulated)");
    out << YAML::BeginMap;

    const SimulationSpec& s = spec_.simulation;
    out << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "dt" << YAML::Value << q(s.dt_ms, time);
    out << YAML::Key << "t_stop" << YAML::Value << q(s.t_stop_ms, time);
    out << YAML::Key << "seed" << YAML::Value << std::to_string(s.seed);
    out << YAML::Key << "threads" << YAML::Value << std::to_string(s.threads);
    out << YAML::Key << "output" << YAML::Value << s.output_dir;
    out << YAML::Key << "flush_interval" << YAML::Value << q(s.flush_interval_ms, time);
    out << YAML::Key << "spike_exchange" << YAML::Value << spike_exchange_name(s.spike_exchange);
    out << YAML::Key << "spike_classification" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "rule" << YAML::Value << classification_rule_name(s.spike_classification.rule);
    out << YAML::Key << "threshold" << YAML::Value << q(s.spike_classification.threshold_ms, time);
    out << YAML::EndMap;
    out << YAML::EndMap;

    out << YAML::Key << "populations" << YAML::Value << YAML::BeginMap;
    for (auto& p : spec_.populations) {
        const ModelInfo& info = *p.info;
        out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "model" << YAML::Value << p.model;
        out << YAML::Key << "size" << YAML::Value << std::to_string(p.size);
        if (info.is_spike_source) {
            if (auto f = spike_files_.find(p.name); f != spike_files_.end()) {
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

    begin_list("projections", spec_.projections.empty());
    for (auto& p : spec_.projections) {
        out << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << p.name;
        out << YAML::Key << "source" << YAML::Value << p.source;
        out << YAML::Key << "target" << YAML::Value << p.target;
        out << YAML::Key << "connectivity" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "rule" << YAML::Value << rule_name(p.rule);
        if (p.rule == ConnectionRule::pairwise_bernoulli)
            out << YAML::Key << "p" << YAML::Value << format_number(p.p);
        else if (*rule_key(p.rule))
            out << YAML::Key << rule_key(p.rule) << YAML::Value << std::to_string(p.degree);
        out << YAML::Key << "allow_autapses" << YAML::Value << p.allow_autapses;
        out << YAML::Key << "allow_multapses" << YAML::Value << p.allow_multapses;
        out << YAML::EndMap;
        out << YAML::Key << "weight" << YAML::Value;
        emit_distribution(out, p.weight, weight_dim(pop_of(p.target), p.receptor));
        out << YAML::Key << "delay" << YAML::Value;
        emit_distribution(out, p.delay, time);
        if (p.receptor >= 0)
            out << YAML::Key << "receptor" << YAML::Value
                << pop_of(p.target).info->receptors[std::size_t(p.receptor)].name;
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;

    begin_list("stimuli", spec_.stimuli.empty());
    for (auto& st : spec_.stimuli) {
        out << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << st.name;
        out << YAML::Key << "model" << YAML::Value << stimulus_name(st.kind);
        out << YAML::Key << "targets" << YAML::Value << YAML::Flow << st.targets;
        switch (st.kind) {
        case StimulusSpec::Kind::poisson_generator:
            out << YAML::Key << "rate" << YAML::Value << q(st.rate_hz, Dimension::frequency);
            out << YAML::Key << "weight" << YAML::Value
                << q(st.weight, weight_dim(pop_of(st.targets[0]), st.receptors.empty() ? -1 : st.receptors[0]));
            out << YAML::Key << "delay" << YAML::Value << q(st.delay_ms, time);
            if (!st.receptors.empty())
                out << YAML::Key << "receptor" << YAML::Value
                    << pop_of(st.targets[0]).info->receptors[std::size_t(st.receptors[0])].name;
            break;
        case StimulusSpec::Kind::dc_current:
            out << YAML::Key << "amplitude" << YAML::Value << q(st.amplitude_pA, Dimension::current);
            break;
        case StimulusSpec::Kind::step_current:
            out << YAML::Key << "times" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (double t : st.times_ms) out << q(t, time);
            out << YAML::EndSeq;
            out << YAML::Key << "amplitudes" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (double a : st.amplitudes_pA) out << q(a, Dimension::current);
            out << YAML::EndSeq;
            break;
        case StimulusSpec::Kind::noise_current:
            out << YAML::Key << "mean" << YAML::Value << q(st.mean_pA, Dimension::current);
            out << YAML::Key << "std" << YAML::Value << q(st.std_pA, Dimension::current);
            out << YAML::Key << "tau" << YAML::Value << q(st.tau_ms, time);
            break;
        }
        if (!st.compartments.empty())
            out << YAML::Key << "compartment" << YAML::Value
                << pop_of(st.targets[0]).info->compartments[std::size_t(st.compartments[0])];
        out << YAML::Key << "start" << YAML::Value << q(st.start_ms, time);
        if (st.stop_ms < no_stop) out << YAML::Key << "stop" << YAML::Value << q(st.stop_ms, time);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;

    out << YAML::Key << "recordings" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "spikes" << YAML::Value << YAML::Flow << spec_.spike_recordings;
    begin_list("state", spec_.state_recordings.empty());
    for (std::size_t i = 0; i < spec_.state_recordings.size(); ++i) {
        const StateRecordingSpec& r = spec_.state_recordings[i];
        const NodeSelection& how = node_selections_[i];
        out << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << r.name;
        out << YAML::Key << "population" << YAML::Value << r.population;
        out << YAML::Key << "variables" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (int v : r.variables) out << pop_of(r.population).info->state[std::size_t(v)].name;
        out << YAML::EndSeq;
        out << YAML::Key << "nodes" << YAML::Value;
        switch (how.kind) {
        case NodeSelection::Kind::all: out << "all"; break;
        case NodeSelection::Kind::list:
            out << YAML::Flow << YAML::BeginSeq;
            for (auto n : r.nodes) out << std::to_string(n);
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
        out << YAML::Key << "interval" << YAML::Value << q(r.interval_ms, time);
        start_stop(r.start_ms, r.stop_ms);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    begin_list("population_rates", spec_.population_rates.empty());
    for (auto& r : spec_.population_rates) {
        out << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << r.name;
        out << YAML::Key << "population" << YAML::Value << r.population;
        out << YAML::Key << "bin" << YAML::Value << q(r.bin_ms, time);
        start_stop(r.start_ms, r.stop_ms);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;

    out << YAML::EndMap;
    if (!out.good()) throw std::logic_error("resolved description: " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

}  // namespace

NetworkSpec parse_description(const std::string& yaml_text, const std::string& file_name,
                              const std::vector<std::string>& overrides) {
    Loader loader(file_name);
    Tree root = loader.parse_text(yaml_text);
    for (auto& o : overrides) loader.apply_override(root, o);
    return loader.build(root);
}

NetworkSpec load(const std::string& path, const std::vector<std::string>& overrides) {
    std::error_code ec;
    const fs::path p(path);
    auto missing = [&](const std::string& found) {
        throw DescriptionError(path, 0, 0, "", "a readable description file", found);
    };
    if (!fs::exists(p, ec)) missing("no such file");
    if (fs::is_directory(p, ec)) missing("a directory");
    std::ifstream in(p, std::ios::binary);
    if (!in) missing("a file that cannot be opened for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) missing("a file that cannot be read");
    return parse_description(text.str(), path, overrides);
}

}  // namespace apical
