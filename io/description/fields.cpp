// The field-table machinery: one reader per kind of value, and writing values back.
#include "io/description/fields.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "io/units.hpp"

namespace apical::description {

std::string Range::expected(Dimension d) const {
    const bool has_max = std::isfinite(max);
    if (above_min) return has_max ? what + " in (" + q(min, d) + ", " + q(max, d) + "]" : what + " above " + q(min, d);
    const bool has_min = std::isfinite(min);
    if (has_min && has_max) return what + " in [" + q(min, d) + ", " + q(max, d) + "]";
    return has_min ? what + " of at least " + q(min, d) : what + " of at most " + q(max, d);
}

Reader::Reader(std::string file) : Messages(std::move(file)) {
    base_dir = std::filesystem::path(this->file()).parent_path();
    spec.file = this->file();
}

void Reader::check_keys(const Tree& m, const std::string& path, const std::vector<std::string>& valid,
                        const std::string& what, const std::string& note) const {
    for (auto& e : m.entries)
        if (std::find(valid.begin(), valid.end(), e.key) == valid.end())
            fail(e.key_pos, key_path(path, e.key), what + " " + one_of(valid),
                 quote(e.key) + (note.empty() ? suggestion(e.key, valid) : note));
}

const Tree& Reader::require(const Tree& m, const std::string& path, const std::string& key,
                            const std::string& what) const {
    if (const Tree* t = m.find(key)) return *t;
    const auto present = m.keys();
    fail(m.pos, path, "a \"" + key + "\" key (" + what + ")",
         present.empty() ? "an empty mapping" : "keys " + join(present));
}

std::string Reader::name(const Tree& t, const std::string& path, const std::string& what) const {
    if (!t.is_scalar() || t.text.empty()) fail(t.pos, path, what, describe(t));
    return t.text;
}

std::size_t Reader::choice(const Tree& t, const std::string& path, const std::string& what,
                           const std::vector<std::string>& valid) const {
    const std::string expected = what + " " + one_of(valid);
    const std::string v = name(t, path, expected);
    const auto it = std::find(valid.begin(), valid.end(), v);
    if (it == valid.end()) fail(t.pos, path, expected, quote(v) + suggestion(v, valid));
    return std::size_t(it - valid.begin());
}

double Reader::bounded(const Tree& t, const std::string& path, Dimension d, const Range& r,
                       bool allow_infinite) const {
    const double v = quantity(t, path, d, allow_infinite);
    check_range(t, path, v, d, r);
    return v;
}

Distribution Reader::bounded_distribution(const Tree& t, const std::string& path, Dimension d,
                                          const Range& r) const {
    const Distribution v = distribution(t, path, d);
    if (v.is_constant()) {
        check_range(t, path, v.value, d, r);
    } else if (!r.contains(lower_bound(v)) || !r.contains(upper_bound(v))) {
        fail(t.pos, path, "a distribution whose every draw is " + r.expected(d) + " (bound it with min and max)",
             describe_kind(v, d) + ", which draws from " + q(lower_bound(v), d) + " to " + q(upper_bound(v), d));
    }
    return v;
}

void Reader::check_range(const Tree& t, const std::string& path, double v, Dimension d, const Range& r) const {
    if (!r.contains(v)) fail(t.pos, path, r.expected(d), q(v, d));
}

double Reader::quantity(const Tree& t, const std::string& path, Dimension d, bool allow_infinite) const {
    if (!t.is_scalar()) fail(t.pos, path, expected_quantity(d), describe(t));
    try {
        return parse_quantity(t.text, d, allow_infinite);
    } catch (const QuantityError& e) {
        fail(t.pos, path, e.expected(), e.found());
    }
}

std::uint64_t Reader::integer(const Tree& t, const std::string& path, std::uint64_t lo, std::uint64_t hi,
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

bool Reader::boolean(const Tree& t, const std::string& path) const {
    if (t.is_scalar()) {
        if (t.text == "true" || t.text == "True" || t.text == "TRUE") return true;
        if (t.text == "false" || t.text == "False" || t.text == "FALSE") return false;
    }
    fail(t.pos, path, "true or false", describe(t));
}

Distribution Reader::distribution(const Tree& t, const std::string& path, Dimension d) const {
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

// The whole number of steps of dt that `ms` is, within 1e-9 relative; -1 when it is none.
double grid_steps(double ms, double dt) {
    const double steps = ms / dt, r = std::nearbyint(steps);
    return std::abs(steps - r) <= 1e-9 * std::max(1.0, r) ? r : -1.0;
}

double Reader::grid_time(const Tree& t, const std::string& path, const std::string& what, bool positive) const {
    const double dt = spec.simulation.dt_ms;
    const double v = quantity(t, path, Dimension::time);
    const std::string expected = what + " that is a " + (positive ? "positive" : "non-negative") +
                                 " multiple of dt (" + q(dt, Dimension::time) + ")";
    const double r = grid_steps(v, dt);
    if (r < 0 && v > 0)
        fail(t.pos, path, expected, q(v, Dimension::time) + " (" + format_number(v / dt) + " steps)");
    if (!(r >= (positive ? 1.0 : 0.0))) fail(t.pos, path, expected, q(v, Dimension::time));
    check_steps(t, path, v, what);
    return tidy(r * dt);
}

void Reader::check_steps(const Tree& t, const std::string& path, double ms, const std::string& what,
                         double max_steps) const {
    const double dt = spec.simulation.dt_ms;
    if (fits_steps(ms, dt, max_steps)) return;
    fail(t.pos, path,
         what + " of at most " + (max_steps == max_step_count ? std::string("2^53") : format_number(max_steps)) +
             " steps of dt (" + q(tidy(max_steps * dt), Dimension::time) + ")",
         q(ms, Dimension::time));
}

Distribution Reader::delay(const Tree& t, const std::string& path, bool off_grid) {
    const double dt = spec.simulation.dt_ms;
    const double tolerance = dt * 1e-9;
    Distribution d = distribution(t, path, Dimension::time);
    // Per-synapse delays are stored in 16 bits (synapses/static_synapse_table.hpp); larger
    // ones would wrap. Draws of unbounded distributions are checked when they are drawn.
    constexpr double max_steps = 65535;
    const std::string at_most = "a delay of at most 65535 steps (" + q(max_steps * dt, Dimension::time) + ")";
    if (const double hi = upper_bound(d); std::isfinite(hi) && hi / dt > max_steps + 0.5)
        fail(t.pos, path, d.is_constant() ? at_most : at_most + " for every draw: add max: " + q(max_steps * dt, Dimension::time),
             d.is_constant() ? q(d.value, Dimension::time) : describe(d, Dimension::time));
    if (d.is_constant()) {
        if (d.value < dt - tolerance)
            fail(t.pos, path, "a delay of at least dt (" + q(dt, Dimension::time) + ")",
                 q(d.value, Dimension::time));
        const double steps = d.value / dt, r = std::floor(steps + 0.5 + 1e-9);
        if (std::abs(steps - r) > 1e-6 && !off_grid) {
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

std::size_t Reader::population_ref(const Tree& t, const std::string& path) const {
    std::vector<std::string> names;
    for (auto& p : spec.populations) names.push_back(p.name);
    if (!t.is_scalar()) fail(t.pos, path, "a population name " + one_of(names), describe(t));
    for (std::size_t i = 0; i < spec.populations.size(); ++i)
        if (spec.populations[i].name == t.text) return i;
    fail(t.pos, path, "a population name " + one_of(names), quote(t.text) + suggestion(t.text, names));
}

double lower_bound(const Distribution& d) { return draw_range(d).first; }
double upper_bound(const Distribution& d) { return draw_range(d).second; }

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

}  // namespace apical::description
