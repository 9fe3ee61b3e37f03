// The field-table machinery of the description layer: reading one value of each kind
// (quantity, grid time, integer, boolean, name, choice, distribution, delay, population),
// writing it back, and the table rows that tie a YAML key to a member of a spec.
//
// A section lists its scalar fields once, as a Table: one row per YAML key, in the order the
// resolved description writes them. A row is made by one of the *_field functions below,
// which take the key, the member of the spec where the value lives, the kind's details
// (dimension, range, names, ...) and, through .require(...), whether the key is required.
// read_fields() / FieldReader walk the table to parse a mapping (unknown keys were refused
// before with keys_of(table)); write_fields() walks the same table to write it. Adding a scalar field
// to a section is one row (and its entry in docs/description.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <array>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/time.hpp"
#include "engine/network_spec.hpp"
#include "io/description/tree.hpp"

namespace apical::description {

constexpr double no_stop = 1e300;  // a stop time when there is none
constexpr std::uint64_t max_gids = 4294967295ull;

// The allowed values of a number, for the check and its message: "a time above 0 ms",
// "a rate of at least 0 Hz", "a probability in [0, 1]", "a voltage of at most 0 mV".
struct Range {
    std::string what;  // "" = any value
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool above_min = false;  // min itself excluded
    bool contains(double v) const { return (above_min ? v > min : v >= min) && v <= max; }
    std::string expected(Dimension d) const;
};
inline Range above(std::string what, double min) {
    return {std::move(what), min, std::numeric_limits<double>::infinity(), true};
}
// (min, max]
inline Range above_up_to(std::string what, double min, double max) { return {std::move(what), min, max, true}; }
inline Range at_least(std::string what, double min) { return {std::move(what), min}; }
inline Range within(std::string what, double min, double max) { return {std::move(what), min, max}; }
inline Range positive_time() { return above("a time", 0.0); }

// How the nodes of a state recording were given, for the resolved description.
struct NodeSelection {
    enum class Kind { list, range, sample, all };
    Kind kind = Kind::list;
    std::uint64_t first = 0, stop = 0, step = 1;  // range: first, first + step, ... below stop
    std::uint64_t n = 0;                          // sample: n nodes ...
    std::uint32_t seed = 0;                       // ... drawn with this seed
};

// Where a SONATA spike_file came from, for the resolved description.
struct SpikeFileRef {
    std::string path;        // absolute
    std::string population;  // in the file ("" = its only population)
};

// One load: the spec being filled, how some values were given (for the resolved
// description), and one reader per kind of value. Every reader raises the layer's
// DescriptionError at the value's position.
class Reader : public Messages {
public:
    explicit Reader(std::string file);

    NetworkSpec spec;
    std::filesystem::path base_dir;                                    // of the description file
    std::map<std::string, SpikeFileRef> spike_files;                   // population name -> file
    std::vector<NodeSelection> node_selections;                        // of spec.state_recordings, in order
    // Of spec.weight_recordings, in order: how `sources` and `targets` were given (none: absent).
    std::vector<std::array<std::optional<NodeSelection>, 2>> synapse_selections;
    std::vector<std::pair<std::string, std::string>> recording_names;  // (name, key path)
    std::map<std::string, std::string> output_files;                   // file in the output folder -> key path

    void warn(Pos p, const std::string& path, const std::string& what) {
        Messages::warn(p, path, what, spec.warnings);
    }

    // Shapes.
    void expect_map(const Tree& t, const std::string& path, const std::string& what) const {
        if (!t.is_map()) fail(t.pos, path, what, describe(t));
    }
    // Refuses a key not in `valid` ("expected <what> (one of: ...), found "x" (did you mean y?)";
    // `note` replaces the suggestion).
    void check_keys(const Tree& m, const std::string& path, const std::vector<std::string>& valid,
                    const std::string& what, const std::string& note = "") const;
    const Tree& require(const Tree& m, const std::string& path, const std::string& key,
                        const std::string& what) const;

    // Values, one reader per kind.
    std::string name(const Tree& t, const std::string& path, const std::string& what) const;
    // The index of one name of a closed set (`what` is followed by the list).
    std::size_t choice(const Tree& t, const std::string& path, const std::string& what,
                       const std::vector<std::string>& valid) const;
    double quantity(const Tree& t, const std::string& path, Dimension d, bool allow_infinite = false) const;
    // A quantity within `r`.
    double bounded(const Tree& t, const std::string& path, Dimension d, const Range& r,
                   bool allow_infinite = false) const;
    void check_range(const Tree& t, const std::string& path, double v, Dimension d, const Range& r) const;
    std::uint64_t integer(const Tree& t, const std::string& path, std::uint64_t lo, std::uint64_t hi,
                          const std::string& expected) const;
    bool boolean(const Tree& t, const std::string& path) const;
    Distribution distribution(const Tree& t, const std::string& path, Dimension d) const;
    // A constant within `r`, or a distribution none of whose draws can leave `r`.
    Distribution bounded_distribution(const Tree& t, const std::string& path, Dimension d, const Range& r) const;
    // A time on the step grid: a whole number of steps of dt within 1e-9 relative
    // (positive: at least one step; else at least 0), as that number of steps times dt.
    double grid_time(const Tree& t, const std::string& path, const std::string& what, bool positive) const;
    // Refuses a time whose step, round(ms / dt), is beyond `max_steps` (core/time.hpp: every
    // time the kernel counts in steps is checked here first); `what` names it ("a stop time").
    void check_steps(const Tree& t, const std::string& path, double ms, const std::string& what,
                     double max_steps = max_step_count) const;
    // A delay: at least dt for every draw; a constant off the grid is rounded (a warning),
    // unless `off_grid` (onto exact event-driven models, which take it exactly).
    Distribution delay(const Tree& t, const std::string& path, bool off_grid = false);
    // The index of a population named by `t`.
    std::size_t population_ref(const Tree& t, const std::string& path) const;
};

// The whole number of steps of dt that `ms` is, within 1e-9 relative; -1 when it is none.
double grid_steps(double ms, double dt);
// The smallest value a distribution can produce (after clipping).
double lower_bound(const Distribution& d);
double upper_bound(const Distribution& d);
// A constant as its quantity, a distribution as a flow mapping.
void emit_distribution(YAML::Emitter& out, const Distribution& d, Dimension dim);
// The names of an enum's values first, first + 1, ... (as `name_of` gives them).
template <class E>
std::vector<std::string> enum_names(const char* (*name_of)(E), int count, int first = 0) {
    std::vector<std::string> v;
    for (int i = first; i < first + count; ++i) v.push_back(name_of(E(i)));
    return v;
}

// ---------------------------------------------------------------------------------------
// Table rows

template <class S>
struct Field {
    using Read = std::function<void(Reader&, const Tree&, const std::string& path, S&)>;
    using Write = std::function<void(YAML::Emitter&, const Reader&, const S&)>;
    Field(std::string k, Read r, Write w) : key(std::move(k)), read(std::move(r)), write(std::move(w)) {}

    std::string key;
    // Reads the value present at `path` into the spec; null: read by the section's own code.
    Read read;
    // Writes the value (the key is written by write_fields); null: not written. The reader
    // gives the rest of the spec (e.g. a target population's model).
    Write write;
    // What a missing key should be, for the message; "": optional, the spec's default stays.
    std::string required;
    // Written only when this holds (null: always).
    std::function<bool(const S&)> shown;

    Field& require(std::string what) {
        required = std::move(what);
        return *this;
    }
    Field& when(std::function<bool(const S&)> f) {
        shown = std::move(f);
        return *this;
    }
};

template <class S>
using Table = std::vector<Field<S>>;

// A quantity of dimension `d` within `r` (r.what "" = any value).
template <class S>
Field<S> quantity_field(const char* key, double S::*m, Dimension d, Range r = {}) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = r.what.empty() ? in.quantity(t, path, d) : in.bounded(t, path, d, r);
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.*m, d); }};
}

template <class S>
Field<S> time_field(const char* key, double S::*m, Range r = {}) {
    return quantity_field(key, m, Dimension::time, std::move(r));
}

// A time within `r` that the kernel converts to steps (at most 2^53 steps of dt).
template <class S>
Field<S> step_time_field(const char* key, double S::*m, Range r) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = in.bounded(t, path, Dimension::time, r);
                in.check_steps(t, path, s.*m, r.what);
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.*m, Dimension::time); }};
}

// A time on the step grid (Reader::grid_time); `what` names it ("an interval").
template <class S>
Field<S> grid_time_field(const char* key, double S::*m, std::string what, bool positive) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = in.grid_time(t, path, what, positive);
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.*m, Dimension::time); }};
}

// An integer in [lo, hi], stored in an integer member of any width.
template <class S, class I>
Field<S> integer_field(const char* key, I S::*m, std::uint64_t lo, std::uint64_t hi, std::string expected) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = I(in.integer(t, path, lo, hi, expected));
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << std::to_string(s.*m); }};
}

template <class S>
Field<S> boolean_field(const char* key, bool S::*m) {
    return {key, [=](Reader& in, const Tree& t, const std::string& path, S& s) { s.*m = in.boolean(t, path); },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << (s.*m); }};
}

// A non-empty name; `what` says what it names.
template <class S>
Field<S> name_field(const char* key, std::string S::*m, std::string what) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) { s.*m = in.name(t, path, what); },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << (s.*m); }};
}

// A constant or a distribution, every draw within `r`.
template <class S>
Field<S> distribution_field(const char* key, Distribution S::*m, Dimension d, Range r) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = in.bounded_distribution(t, path, d, r);
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { emit_distribution(out, s.*m, d); }};
}

// One of `names`, stored as the enum value of the same index.
template <class S, class E>
Field<S> choice_field(const char* key, E S::*m, std::string what, std::vector<std::string> names) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.*m = E(in.choice(t, path, what, names));
            },
            [=](YAML::Emitter& out, const Reader&, const S& s) { out << names[std::size_t(s.*m)]; }};
}

// A field read and written by the section's own functions (structural fields).
template <class S>
Field<S> custom_field(const char* key, typename Field<S>::Read read, typename Field<S>::Write write) {
    return {key, std::move(read), std::move(write)};
}

template <class S>
std::vector<std::string> keys_of(const Table<S>& table) {
    std::vector<std::string> keys;
    for (auto& f : table) keys.push_back(f.key);
    return keys;
}

// Reads the fields of `table` present in one mapping into `s`; a missing required key is an
// error. A section whose fields depend on each other reads some first (read), or reads
// some itself (done), then the rest in table order (read_rest), so a row added to a table
// is read without further code.
template <class S>
class FieldReader {
public:
    FieldReader(Reader& in, const Tree& m, std::string path, const Table<S>& table, S& s)
        : in_(in), m_(m), path_(std::move(path)), table_(table), s_(s) {}

    // The rows of `keys`, in this order.
    void read(const std::vector<std::string>& keys) {
        for (auto& key : keys)
            for (auto& f : table_)
                if (f.key == key) read_one(f);
    }
    // Marks rows as read elsewhere.
    void done(const std::vector<std::string>& keys) { done_.insert(done_.end(), keys.begin(), keys.end()); }
    // Every row not read yet, in table order.
    void read_rest() {
        for (auto& f : table_) read_one(f);
    }

private:
    void read_one(const Field<S>& f) {
        if (!f.read || std::find(done_.begin(), done_.end(), f.key) != done_.end()) return;
        done_.push_back(f.key);
        const Tree* v = m_.find(f.key);
        if (!v) {
            if (!f.required.empty()) in_.require(m_, path_, f.key, f.required);
            return;
        }
        f.read(in_, *v, key_path(path_, f.key), s_);
    }

    Reader& in_;
    const Tree& m_;
    std::string path_;
    const Table<S>& table_;
    S& s_;
    std::vector<std::string> done_;
};

// Reads every field of `table` present in `m`, in table order.
template <class S>
void read_fields(Reader& in, const Tree& m, const std::string& path, const Table<S>& table, S& s) {
    FieldReader<S>(in, m, path, table, s).read_rest();
}

// Writes the fields of `table` as keys of the open mapping, in table order.
template <class S>
void write_fields(YAML::Emitter& out, const Reader& in, const Table<S>& table, const S& s) {
    for (auto& f : table) {
        if (!f.write || (f.shown && !f.shown(s))) continue;
        out << YAML::Key << f.key << YAML::Value;
        f.write(out, in, s);
    }
}

// The rows of a section whose fields depend on a kind (a stimulus model, a connection
// rule): rows every kind has first and last, and each kind's own rows between.
template <class S>
struct KindTables {
    Table<S> head;
    std::vector<Table<S>> kinds;  // indexed by the kind's enum value
    Table<S> tail;

    Table<S> of(std::size_t kind) const {
        Table<S> t = head;
        t.insert(t.end(), kinds[kind].begin(), kinds[kind].end());
        t.insert(t.end(), tail.begin(), tail.end());
        return t;
    }
    // Every key of every kind: the head's, the kinds' (a key several kinds have where the
    // last of them has it), the tail's.
    std::vector<std::string> keys() const {
        std::vector<std::string> middle;
        for (auto& table : kinds)
            for (auto& f : table) {
                std::erase(middle, f.key);
                middle.push_back(f.key);
            }
        std::vector<std::string> all = keys_of(head);
        all.insert(all.end(), middle.begin(), middle.end());
        for (auto& f : tail) all.push_back(f.key);
        return all;
    }
};

}  // namespace apical::description
