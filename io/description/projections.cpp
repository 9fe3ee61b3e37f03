// The projections section: source and target, a connectivity per connection rule (one
// field table per rule), weight, delay, receptor and the synapse model (short-term plasticity).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "io/description/sections.hpp"
#include "io/initial_weights.hpp"
#include "neurons/model_info.hpp"

namespace apical::description {

namespace fs = std::filesystem;

namespace {

const char* rule_name(ConnectionRule r) {
    switch (r) {
    case ConnectionRule::all_to_all: return "all_to_all";
    case ConnectionRule::one_to_one: return "one_to_one";
    case ConnectionRule::pairwise_bernoulli: return "pairwise_bernoulli";
    case ConnectionRule::fixed_indegree: return "fixed_indegree";
    case ConnectionRule::fixed_outdegree: return "fixed_outdegree";
    case ConnectionRule::fixed_total_number: return "fixed_total_number";
    case ConnectionRule::explicit_edges: return "explicit_edges";  // not selectable in YAML (6 names below)
    }
    return "";
}

const std::vector<std::string>& rule_names() {
    static const auto names = enum_names(&rule_name, 6);
    return names;
}

// The connectivity fields of each rule: the rule, the rule's number, then the two flags.
const KindTables<Connectivity>& connectivity_tables() {
    using C = Connectivity;
    constexpr auto any = std::numeric_limits<std::uint64_t>::max();
    static const KindTables<C> tables = {
        {choice_field("rule", &C::rule, "a connection rule", rule_names())
             .require("a connection rule " + one_of(rule_names()))},
        {
            {},  // all_to_all
            {},  // one_to_one
            {quantity_field("p", &C::p, Dimension::dimensionless, within("a probability", 0.0, 1.0))
                 .require("the connection probability, a number in [0, 1]")},
            {integer_field("indegree", &C::degree, 0, any, "a non-negative integer")
                 .require("the number of sources per target")},
            {integer_field("outdegree", &C::degree, 0, any, "a non-negative integer")
                 .require("the number of targets per source")},
            {integer_field("N", &C::degree, 0, any, "a non-negative integer")
                 .require("the total number of synapses")},
        },
        {boolean_field("allow_autapses", &C::allow_autapses),
         boolean_field("allow_multapses", &C::allow_multapses)},
    };
    return tables;
}

// What the rule's number may be, given the populations and the flags.
void check_connectivity(const Reader& in, const ProjectionSpec& p, const Tree& c, const std::string& path) {
    const PopulationSpec& src = population_named(in, p.source);
    const PopulationSpec& tgt = population_named(in, p.target);
    const bool same = p.source == p.target;
    switch (p.rule) {
    case ConnectionRule::one_to_one:
        if (src.size != tgt.size)
            in.fail(c.find("rule")->pos, path + ".rule",
                    "source and target populations of the same size for one_to_one",
                    p.source + " with " + std::to_string(src.size) + " and " + p.target + " with " +
                        std::to_string(tgt.size) + " neurons");
        break;
    case ConnectionRule::fixed_indegree:
    case ConnectionRule::fixed_outdegree: {
        const bool in_degree = p.rule == ConnectionRule::fixed_indegree;
        const std::string key = in_degree ? "indegree" : "outdegree";
        const PopulationSpec& pool = in_degree ? src : tgt;
        const std::uint64_t available = pool.size - (same && !p.allow_autapses ? 1 : 0);
        if (p.degree > 0 && (available == 0 || (!p.allow_multapses && p.degree > available)))
            in.fail(c.find(key)->pos, path + "." + key,
                    "an " + key + " of at most " + std::to_string(available) + " (" +
                        (in_degree ? "source " : "target ") + pool.name + " has " + std::to_string(pool.size) +
                        " neurons" + (same && !p.allow_autapses ? ", one of them excluded as an autapse" : "") +
                        (p.allow_multapses ? "" : "; multapses are off") + ")",
                    std::to_string(p.degree));
        break;
    }
    case ConnectionRule::fixed_total_number:
        if (!p.allow_multapses)
            in.fail(c.find("allow_multapses")->pos, path + ".allow_multapses",
                    "allow_multapses: true (fixed_total_number without multapses is not supported, as in NEST)",
                    "false");
        break;
    default: break;
    }
}

void read_connectivity(Reader& in, const Tree& c, const std::string& path, ProjectionSpec& p) {
    const KindTables<Connectivity>& tables = connectivity_tables();
    in.expect_map(c, path, "a mapping {rule: ..., ...} with rule " + one_of(rule_names()));
    in.check_keys(c, path, tables.keys(), "a key of connectivity");
    Connectivity& conn = p;
    read_fields(in, c, path, tables.head, conn);
    const Table<Connectivity> table = tables.of(std::size_t(p.rule));
    in.check_keys(c, path, keys_of(table), std::string("a key of ") + rule_name(p.rule) + " connectivity");
    FieldReader<Connectivity> fields(in, c, path, table, conn);
    fields.done(keys_of(tables.head));
    fields.read(keys_of(tables.tail));  // the flags first: the number's check depends on them
    fields.read_rest();
    check_connectivity(in, p, c, path);
}

void write_connectivity(YAML::Emitter& out, const Reader& in, const ProjectionSpec& p) {
    out << YAML::Flow << YAML::BeginMap;
    write_fields(out, in, connectivity_tables().of(std::size_t(p.rule)), static_cast<const Connectivity&>(p));
    out << YAML::EndMap;
}

// The synapse key: a model with short-term plasticity (absent: static), its parameters
// given one by one or, for tsodyks_markram, started from a preset (docs/description.md,
// "Synapse models"). One field table per model.
const std::vector<std::string>& synapse_models() {
    static const std::vector<std::string> names = {"tsodyks_markram", "tsodyks_3state"};  // SynapseModel 1, 2
    return names;
}

const std::vector<std::string>& synapse_presets() {
    static const std::vector<std::string> names = {"depressing", "facilitating"};  // SynapsePreset 1, 2
    return names;
}

// Payeur et al. 2021's sets (docs/models.md 4.2): U, f, tau_F, tau_D.
void apply_preset(SynapseSpec& s) {
    const bool depressing = s.preset == SynapsePreset::depressing;
    TsodyksMarkramParameters p = s.constants();
    p.U = depressing ? 0.9 : 0.02;
    p.f = 0.1;
    p.tau_F_ms = depressing ? 1000.0 : 100.0;
    p.tau_D_ms = depressing ? 20.0 : 100.0;
    s.set(p);
}

// Every parameter is a constant or a distribution of values per synapse (docs/models.md 4.4).
const KindTables<SynapseSpec>& synapse_tables() {
    using S = SynapseSpec;
    const Range fraction = above_up_to("a fraction", 0.0, 1.0);
    const Range state = within("a fraction", 0.0, 1.0);
    const auto U = distribution_field<S>("U", &S::U, Dimension::dimensionless, fraction);
    const auto tau_F = distribution_field<S>("tau_F", &S::tau_F, Dimension::time, positive_time());
    const auto tau_D = distribution_field<S>("tau_D", &S::tau_D, Dimension::time, positive_time());
    const auto u0 = distribution_field<S>("u0", &S::u0, Dimension::dimensionless, state);
    const auto x0 = distribution_field<S>("x0", &S::x0, Dimension::dimensionless, state);
    static const KindTables<S> tables = {
        {custom_field<S>("model", nullptr,
                         [](YAML::Emitter& out, const Reader&, const S& s) {
                             out << synapse_models()[std::size_t(s.model) - 1];
                         })},
        {
            {},  // static: no synapse key
            {custom_field<S>("preset", nullptr,
                             [](YAML::Emitter& out, const Reader&, const S& s) {
                                 out << synapse_presets()[std::size_t(s.preset) - 1];
                             })
                 .when([](const S& s) { return s.preset != SynapsePreset::none; }),
             U,
             distribution_field<S>("f", &S::f, Dimension::dimensionless, fraction)
                 .when([](const S& s) { return !s.f_is_U || s.U.is_constant(); }),
             tau_F, tau_D,
             distribution_field<S>("u0", &S::u0, Dimension::dimensionless, state)
                 .when([](const S& s) { return !s.u0_is_U || s.U.is_constant(); }),
             x0},
            {U, tau_F, tau_D, distribution_field<S>("tau_psc", &S::tau_psc, Dimension::time, positive_time()), u0,
             x0},
        },
        {},
    };
    return tables;
}

void read_synapse(Reader& in, const Tree& t, const std::string& path, ProjectionSpec& p) {
    SynapseSpec& s = p.synapse;
    s.where = {t.pos.line, t.pos.column, path};
    const KindTables<SynapseSpec>& tables = synapse_tables();
    in.expect_map(t, path, "a mapping {model: tsodyks_markram, ...}");
    in.check_keys(t, path, tables.keys(), "a key of synapse");
    const std::string model_what = "a synapse model";
    s.model = SynapseModel(1 + in.choice(in.require(t, path, "model", model_what + " " + one_of(synapse_models())),
                                         path + ".model", model_what, synapse_models()));
    const std::string& name = synapse_models()[std::size_t(s.model) - 1];
    const Table<SynapseSpec> table = tables.of(std::size_t(s.model));
    in.check_keys(t, path, keys_of(table), "a key of a " + name + " synapse");
    const Tree* preset = t.find("preset");
    if (preset) {
        s.preset = SynapsePreset(1 + in.choice(*preset, path + ".preset", "a preset", synapse_presets()));
        apply_preset(s);
    } else {
        in.require(t, path, "U", "the utilisation U, a number in (0, 1]" +
                                     (table[1].key == "preset" ? ", or a preset " + one_of(synapse_presets()) : ""));
        in.require(t, path, "tau_F", "the facilitation time constant, a time above 0 ms");
        in.require(t, path, "tau_D", "the recovery time constant, a time above 0 ms");
    }
    FieldReader<SynapseSpec> fields(in, t, path, table, s);
    s.u0 = Distribution{};  // tsodyks_3state (NEST tsodyks_synapse): u relaxes to 0, the spike adds U
    s.x0.value = 1.0;
    fields.read_rest();
    if (s.model == SynapseModel::tsodyks_markram) {
        // tsodyks2_synapse unless f is given; at rest unless u0 is given: each synapse's own U.
        s.f_is_U = !preset && !t.find("f");
        s.u0_is_U = !t.find("u0");
        if (s.f_is_U) s.f = s.U;
        if (s.u0_is_U) s.u0 = s.U;
    }
    // The three-state propagator divides by tau_psc - tau_D (docs/models.md 4.3); with drawn
    // values the network build checks each synapse.
    if (s.model == SynapseModel::tsodyks_3state && s.tau_psc.is_constant() && s.tau_D.is_constant() &&
        s.tau_psc.value == s.tau_D.value) {
        const Tree* at = t.find("tau_psc");
        in.fail(at ? at->pos : t.pos, path + (at ? ".tau_psc" : ""),
                "a tau_psc different from tau_D (" + q(s.tau_D.value, Dimension::time) + ")",
                q(s.tau_psc.value, Dimension::time));
    }
}

void write_synapse(YAML::Emitter& out, const Reader& in, const ProjectionSpec& p) {
    out << YAML::Flow << YAML::BeginMap;
    write_fields(out, in, synapse_tables().of(std::size_t(p.synapse.model)), p.synapse);
    out << YAML::EndMap;
}

// The plasticity key: a rule and its parameters, one field table per rule, and the windows
// in which weights change (docs/description.md, "Plasticity"). Weight-valued parameters take
// the unit of the projection's receptor, so their rows look it up.
const std::vector<std::string>& plasticity_rules() {  // PlasticityRule 1 .. 4
    static const auto names = enum_names(&plasticity_rule_name, 4, 1);
    return names;
}

const std::vector<std::string>& stdp_pairings() {  // StdpPairing 0 .. 3
    static const std::vector<std::string> names = {"all_to_all", "nn_symmetric", "nn_pre_centered", "nn_restricted"};
    return names;
}

const std::vector<std::string>& triplet_presets() {  // StdpTripletPreset 1 .. 3
    static const auto names = enum_names(&stdp_triplet_preset_name, 3, 1);
    return names;
}

const std::vector<std::string>& trace_updates() {  // TraceUpdate 0, 1
    static const std::vector<std::string> names = {"all_to_all", "nearest"};
    return names;
}

const std::vector<std::string>& homeostasis_rates() {
    static const auto names = enum_names(&bdsp_homeostasis_rate_name, 2);
    return names;
}

const ReceptorInfo& receptor_info(const Reader& in, const ProjectionSpec& p);

// A quantity of a plasticity rule: `get` finds the member (of a P& or a const P&: a generic
// lambda), `dim_of` its dimension.
using P = ProjectionSpec;
using DimensionOf = Dimension (*)(const Reader&, const P&);
template <class Get>
Field<P> rule_value(const char* key, Get get, DimensionOf dim_of, Range r, bool allow_infinite) {
    return {key,
            [=](Reader& in, const Tree& t, const std::string& path, P& p) {
                get(p) = in.bounded(t, path, dim_of(in, p), r, allow_infinite);
            },
            [=](YAML::Emitter& out, const Reader& in, const P& p) {
                const double v = get(p);
                if (std::isinf(v))
                    out << "inf";
                else
                    out << q(v, dim_of(in, p));
            }};
}
template <Dimension D>
Dimension fixed_dimension(const Reader&, const P&) {
    return D;
}
template <Dimension D, class Get>
Field<P> rule_quantity(const char* key, Get get, Range r, bool allow_infinite = false) {
    return rule_value(key, get, &fixed_dimension<D>, std::move(r), allow_infinite);
}
// A weight-valued one, in the unit of the projection's receptor.
template <class Get>
Field<P> rule_weight(const char* key, Get get, Range r) {
    return rule_value(
        key, get, [](const Reader& in, const P& p) { return receptor_info(in, p).weight_dim; }, std::move(r), false);
}

const KindTables<P>& plasticity_tables() {
    using D = Dimension;
    const Range positive = above("a value", 0.0), non_negative = at_least("a value", 0.0);
    const Range rate = at_least("a rate", 0.0);
    static const KindTables<P> tables = {
        {custom_field<P>("rule", nullptr,
                         [](YAML::Emitter& out, const Reader&, const P& p) {
                             out << plasticity_rules()[std::size_t(p.plasticity.rule) - 1];
                         })},
        {
            {},  // none
            {custom_field<P>("pairing", nullptr,
                             [](YAML::Emitter& out, const Reader&, const P& p) {
                                 out << stdp_pairings()[std::size_t(p.plasticity.pairing)];
                             }),
             rule_quantity<D::time>("tau_plus", [](auto& p) -> auto& { return p.plasticity.stdp.tau_plus_ms; }, positive_time()),
             rule_quantity<D::time>("tau_minus", [](auto& p) -> auto& { return p.plasticity.stdp.tau_minus_ms; }, positive_time()),
             rule_quantity<D::dimensionless>("lambda", [](auto& p) -> auto& { return p.plasticity.stdp.lambda; }, non_negative),
             rule_quantity<D::dimensionless>("alpha", [](auto& p) -> auto& { return p.plasticity.stdp.alpha; }, non_negative),
             rule_quantity<D::dimensionless>("mu_plus", [](auto& p) -> auto& { return p.plasticity.stdp.mu_plus; }, non_negative),
             rule_quantity<D::dimensionless>("mu_minus", [](auto& p) -> auto& { return p.plasticity.stdp.mu_minus; }, non_negative),
             rule_weight("Wmax", [](auto& p) -> auto& { return p.plasticity.stdp.Wmax; }, above("a weight", 0.0))},
            {rule_weight("eta", [](auto& p) -> auto& { return p.plasticity.bdsp.eta; }, at_least("a learning rate", 0.0)),
             rule_quantity<D::time>("tau_pre", [](auto& p) -> auto& { return p.plasticity.bdsp.tau_pre_ms; }, positive_time()),
             rule_quantity<D::time>("tau_avg", [](auto& p) -> auto& { return p.plasticity.bdsp.tau_avg_ms; }, positive_time()),
             rule_weight("w_min", [](auto& p) -> auto& { return p.plasticity.bdsp.w_min; }, Range{}),
             rule_weight("w_max", [](auto& p) -> auto& { return p.plasticity.bdsp.w_max; }, Range{}),
             rule_quantity<D::frequency>("e_min", [](auto& p) -> auto& { return p.plasticity.bdsp.e_min_hz; }, rate),
             rule_quantity<D::frequency>("e_max", [](auto& p) -> auto& { return p.plasticity.bdsp.e_max_hz; }, above("a rate", 0.0), true),
             custom_field<P>("homeostasis_rate", nullptr,
                             [](YAML::Emitter& out, const Reader&, const P& p) {
                                 out << homeostasis_rates()[std::size_t(p.plasticity.bdsp.homeostasis_rate)];
                             }),
             rule_quantity<D::time>("tau_rate", [](auto& p) -> auto& { return p.plasticity.bdsp.tau_rate_ms; }, positive_time()),
             rule_quantity<D::frequency>("initial_rate", [](auto& p) -> auto& { return p.plasticity.bdsp.initial_rate_hz; }, rate),
             rule_quantity<D::frequency>("initial_event_rate", [](auto& p) -> auto& { return p.plasticity.bdsp.initial_event_rate_hz; }, rate),
             rule_quantity<D::frequency>("initial_burst_rate", [](auto& p) -> auto& { return p.plasticity.bdsp.initial_burst_rate_hz; }, rate)},
            {custom_field<P>("preset", nullptr,
                             [](YAML::Emitter& out, const Reader&, const P& p) {
                                 out << triplet_presets()[std::size_t(p.plasticity.triplet_preset) - 1];
                             })
                 .when([](const P& p) { return p.plasticity.triplet_preset != StdpTripletPreset::none; }),
             custom_field<P>("interaction", nullptr,
                             [](YAML::Emitter& out, const Reader&, const P& p) {
                                 out << trace_updates()[std::size_t(p.plasticity.triplet.interaction)];
                             }),
             rule_quantity<D::time>("tau_plus", [](auto& p) -> auto& { return p.plasticity.triplet.tau_plus_ms; }, positive_time()),
             rule_quantity<D::time>("tau_x", [](auto& p) -> auto& { return p.plasticity.triplet.tau_x_ms; }, positive_time()),
             rule_quantity<D::time>("tau_minus", [](auto& p) -> auto& { return p.plasticity.triplet.tau_minus_ms; }, positive_time()),
             rule_quantity<D::time>("tau_y", [](auto& p) -> auto& { return p.plasticity.triplet.tau_y_ms; }, positive_time()),
             rule_weight("A2_plus", [](auto& p) -> auto& { return p.plasticity.triplet.A2_plus; }, at_least("an amplitude", 0.0)),
             rule_weight("A3_plus", [](auto& p) -> auto& { return p.plasticity.triplet.A3_plus; }, at_least("an amplitude", 0.0)),
             rule_weight("A2_minus", [](auto& p) -> auto& { return p.plasticity.triplet.A2_minus; }, at_least("an amplitude", 0.0)),
             rule_weight("A3_minus", [](auto& p) -> auto& { return p.plasticity.triplet.A3_minus; }, at_least("an amplitude", 0.0)),
             rule_weight("Wmax", [](auto& p) -> auto& { return p.plasticity.triplet.Wmax; }, above("a weight", 0.0))},
            {rule_quantity<D::dimensionless>("eta", [](auto& p) -> auto& { return p.plasticity.urbanczik.eta; }, non_negative),
             rule_quantity<D::time>("tau_Delta", [](auto& p) -> auto& { return p.plasticity.urbanczik.tau_Delta_ms; }, positive_time()),
             rule_weight("Wmin", [](auto& p) -> auto& { return p.plasticity.urbanczik.Wmin; }, Range{}),
             rule_weight("Wmax", [](auto& p) -> auto& { return p.plasticity.urbanczik.Wmax; }, Range{})},
        },
        {custom_field<P>("active", nullptr,
                         [](YAML::Emitter& out, const Reader&, const P& p) {
                             const auto& per = p.plasticity.periodic;
                             if (per.period_ms > 0.0) {
                                 out << YAML::Flow << YAML::BeginMap << YAML::Key << "period" << YAML::Value
                                     << q(per.period_ms, Dimension::time) << YAML::Key << "windows" << YAML::Value;
                                 write_windows(out, per.windows_ms);
                                 out << YAML::Key << "start" << YAML::Value << q(per.start_ms, Dimension::time);
                                 if (per.stop_ms < no_stop)
                                     out << YAML::Key << "stop" << YAML::Value << q(per.stop_ms, Dimension::time);
                                 out << YAML::EndMap;
                                 return;
                             }
                             write_windows(out, p.plasticity.active_ms);
                         })
             .when([](const P& p) {
                 return !p.plasticity.active_ms.empty() || p.plasticity.periodic.period_ms > 0.0;
             }),
         custom_field<P>("rate_factors", nullptr,
                         [](YAML::Emitter& out, const Reader&, const P& p) {
                             out << YAML::Flow << YAML::BeginSeq;
                             for (auto [at, factor] : p.plasticity.rate_factors)
                                 out << YAML::Flow << YAML::BeginSeq << q(at, Dimension::time) << q(factor, Dimension::dimensionless)
                                     << YAML::EndSeq;
                             out << YAML::EndSeq;
                         })
             .when([](const P& p) { return !p.plasticity.rate_factors.empty(); }),
         custom_field<P>("initial_weights", nullptr,
                         [](YAML::Emitter& out, const Reader&, const P& p) {
                             out << YAML::Flow << YAML::BeginMap << YAML::Key << "file" << YAML::Value
                                 << p.initial_weights->file << YAML::Key << "projection" << YAML::Value
                                 << p.initial_weights->projection << YAML::EndMap;
                         })
             .when([](const P& p) { return p.initial_weights != nullptr; })},
    };
    return tables;
}

// `active: {period: P, windows: [[w0, w1], ...], start: T0, stop: T1}`: the windows, offsets
// inside each period counted from start, repeat every period until stop.
void read_periodic_active(Reader& in, const Tree& t, const std::string& path, P& p) {
    auto& per = p.plasticity.periodic;
    in.check_keys(t, path, {"period", "windows", "start", "stop"}, "a key of periodic active windows");
    const Tree& period = in.require(t, path, "period", "the period after which the windows repeat, e.g. 8 s");
    per.period_ms = in.bounded(period, path + ".period", Dimension::time, positive_time());
    in.check_steps(period, path + ".period", per.period_ms, "a period");
    if (std::round(per.period_ms / in.spec.simulation.dt_ms) < 1)
        in.fail(period.pos, path + ".period", "a period of at least one step (dt)", q(per.period_ms, Dimension::time));
    const Tree& windows = in.require(t, path, "windows", "a list of [start, stop] windows inside one period");
    per.windows_ms = read_windows_in_period(in, windows, path + ".windows", per.period_ms);
    if (const Tree* v = t.find("start")) {
        per.start_ms = in.bounded(*v, path + ".start", Dimension::time, at_least("a start time", 0.0));
        in.check_steps(*v, path + ".start", per.start_ms, "a start time");
    }
    if (const Tree* v = t.find("stop")) {
        const double stop = in.bounded(*v, path + ".stop", Dimension::time, above("a stop time", per.start_ms), true);
        if (stop < no_stop) in.check_steps(*v, path + ".stop", stop, "a stop time");
        per.stop_ms = std::isinf(stop) ? no_stop : stop;
    }
}

// `active: [[start, stop], ...]`: windows of synapse time, ascending and disjoint.
// `rate_factors: [[time, factor], ...]`: from each time on (synapse time, ascending, on the
// step grid) the rule's learning rate is `factor` (>= 0) times the given one.
void read_rate_factors(Reader& in, const Tree& t, const std::string& path, P& p) {
    const std::string what = "a list of [time, factor] pairs, e.g. [[60 s, 0.1], [120 s, 0]]";
    if (!t.is_seq() || t.items.empty()) in.fail(t.pos, path, what, describe(t));
    double previous = -1.0;
    for (std::size_t i = 0; i < t.items.size(); ++i) {
        const Tree& e = t.items[i];
        const std::string epath = index_path(path, i);
        if (!e.is_seq() || e.items.size() != 2) in.fail(e.pos, epath, "a pair [time, factor]", describe(e));
        const double at = in.bounded(e.items[0], index_path(epath, 0), Dimension::time,
                                     previous < 0 ? at_least("a time", 0.0) : above("a time", previous));
        in.check_steps(e.items[0], index_path(epath, 0), at, "a time");
        const double factor =
            in.bounded(e.items[1], index_path(epath, 1), Dimension::dimensionless, at_least("a factor", 0.0));
        p.plasticity.rate_factors.push_back({at, factor});
        previous = at;
    }
}

void read_active(Reader& in, const Tree& t, const std::string& path, P& p) {
    if (t.is_map()) return read_periodic_active(in, t, path, p);
    const std::string what = "a list of [start, stop] windows, e.g. [[20 s, 170 s]], or periodic windows "
                             "{period: 8 s, windows: [[7.2 s, 8 s]], start: 0 s}";
    if (!t.is_seq() || t.items.empty()) in.fail(t.pos, path, what, describe(t));
    double previous_stop = 0.0;
    for (std::size_t i = 0; i < t.items.size(); ++i) {
        const Tree& w = t.items[i];
        const std::string wpath = index_path(path, i);
        if (!w.is_seq() || w.items.size() != 2) in.fail(w.pos, wpath, "a window [start, stop]", describe(w));
        const Range at_or_after = at_least("a start time", previous_stop);
        const double start = in.bounded(w.items[0], index_path(wpath, 0), Dimension::time, at_or_after);
        in.check_steps(w.items[0], index_path(wpath, 0), start, "a start time");
        const double stop = in.bounded(w.items[1], index_path(wpath, 1), Dimension::time,
                                       above("a stop time", start), true);
        if (stop < no_stop) in.check_steps(w.items[1], index_path(wpath, 1), stop, "a stop time");
        p.plasticity.active_ms.push_back({start, std::isinf(stop) ? no_stop : stop});
        previous_stop = stop;
    }
}

// `initial_weights: FILE` or `{file: FILE, projection: NAME}`: a previous run's weights.h5
// (relative to the description's folder) and the projection's group in it (default: this
// projection's name).
void read_initial_weights_key(Reader& in, const Tree& t, const std::string& path, P& p) {
    p.initial_weights_where = {t.pos.line, t.pos.column, path};
    const Tree* file_key = &t;
    std::string file_path = path, projection = p.name;
    if (t.is_map()) {
        in.check_keys(t, path, {"file", "projection"}, "a key of initial_weights");
        file_path = path + ".file";
        file_key = &in.require(t, path, "file", "a weights.h5 of an earlier run");
        if (const Tree* pr = t.find("projection"))
            projection = in.name(*pr, path + ".projection", "a projection's group in the file");
    }
    fs::path file = in.name(*file_key, file_path, "a weights.h5 of an earlier run (a path), or {file: ..., projection: ...}");
    if (file.is_relative()) file = in.base_dir / file;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        in.fail(file_key->pos, file_path, "a readable weights.h5 of an earlier run",
                quote(file.string()) + (fs::exists(file, ec) ? " (not a regular file)" : " (no such file)"));
    InitialWeights w;
    try {
        w = read_initial_weights(file, projection, population_named(in, p.source).size,
                                 population_named(in, p.target).size, internal_unit(receptor_info(in, p).weight_dim));
    } catch (const UserError& e) {
        in.fail(file_key->pos, file_path, "a readable weights.h5 of an earlier run", e.what());
    } catch (const RuntimeFailure& e) {
        in.fail(file_key->pos, file_path, "a readable weights.h5 of an earlier run", e.what());
    }
    w.file = fs::absolute(file, ec).lexically_normal().string();
    p.initial_weights = std::make_shared<const InitialWeights>(std::move(w));
}

// The bounds a rule keeps weights in.
std::pair<double, double> weight_bounds(const PlasticitySpec& s) {
    if (s.rule == PlasticityRule::stdp_pair) return {0.0, s.stdp.Wmax};
    if (s.rule == PlasticityRule::stdp_triplet) return {0.0, s.triplet.Wmax};
    if (s.rule == PlasticityRule::urbanczik_senn) return {s.urbanczik.Wmin, s.urbanczik.Wmax};
    return {s.bdsp.w_min, s.bdsp.w_max};
}

// Urbanczik-Senn: bounds in order, no schedules (the weight is a function of the whole
// integral, NEST's form), a target that keeps the dendritic prediction, the dendritic
// receptor, and the dendrite's constants the rule uses (taken from the target population).
void read_urbanczik_target(Reader& in, const Tree& t, const std::string& path, P& p) {
    UrbanczikSennParameters& u = p.plasticity.urbanczik;
    const Dimension wdim = receptor_info(in, p).weight_dim;
    if (!(u.Wmin < u.Wmax)) {
        const Tree* at = t.find("Wmax");
        in.fail(at ? at->pos : t.pos, path + ".Wmax", "a Wmax above Wmin (" + q(u.Wmin, wdim) + ")", q(u.Wmax, wdim));
    }
    for (const char* key : {"active", "rate_factors"})
        if (const Tree* at = t.find(key))
            in.fail(at->pos, path + "." + key,
                    "no learning windows or rate schedule with urbanczik_senn (its weight is a function of the "
                    "whole integral since the start)",
                    std::string(key));
    const PopulationSpec& target = population_named(in, p.target);
    if (!target.info->dendritic_prediction)
        in.fail(t.find("rule")->pos, path + ".rule",
                "a rule whose target model provides a dendritic prediction (urbanczik_senn needs "
                "pp_cond_exp_mc_urbanczik)",
                "urbanczik_senn onto " + quote(p.target) + ", a " + target.model + " population");
    if (receptor_info(in, p).name != "dendrite.exc")
        in.fail(t.pos, path, "urbanczik_senn on the receptor dendrite.exc",
                "receptor " + receptor_info(in, p).name);
    u.C_m_d = target.parameters.at("C_m_d");
    u.g_L_d = target.parameters.at("g_L_d");
    u.tau_s_ms = target.parameters.at("tau_syn_ex_d");
    if (u.tau_L_ms() == u.tau_s_ms)
        in.fail(t.pos, path,
                "a target whose dendritic tau_L = C_m_d / g_L_d differs from tau_syn_ex_d (the rule divides by "
                "their difference)",
                "both " + q(u.tau_s_ms, Dimension::time));
}

void read_plasticity(Reader& in, const Tree& t, const std::string& path, P& p) {
    PlasticitySpec& s = p.plasticity;
    p.plasticity_where = {t.pos.line, t.pos.column, path};
    const KindTables<P>& tables = plasticity_tables();
    in.expect_map(t, path, "a mapping {rule: stdp_pair, ...}");
    in.check_keys(t, path, tables.keys(), "a key of plasticity");
    const std::string rule_what = "a plasticity rule";
    s.rule = PlasticityRule(1 + in.choice(in.require(t, path, "rule", rule_what + " " + one_of(plasticity_rules())),
                                          path + ".rule", rule_what, plasticity_rules()));
    const std::string& name = plasticity_rules()[std::size_t(s.rule) - 1];
    const Table<P> table = tables.of(std::size_t(s.rule));
    in.check_keys(t, path, keys_of(table), "a key of a " + name + " rule");
    FieldReader<P> fields(in, t, path, table, p);
    fields.done(
        {"rule", "pairing", "homeostasis_rate", "preset", "interaction", "active", "rate_factors", "initial_weights"});
    if (const Tree* v = t.find("pairing"))
        s.pairing = StdpPairing(in.choice(*v, path + ".pairing", "a pairing", stdp_pairings()));
    // A triplet preset first, so that keys given beside it override it.
    if (const Tree* v = t.find("preset")) {
        s.triplet_preset = StdpTripletPreset(1 + in.choice(*v, path + ".preset", "a parameter set", triplet_presets()));
        s.triplet = stdp_triplet_preset(s.triplet_preset);
    }
    if (const Tree* v = t.find("interaction"))
        s.triplet.interaction = TraceUpdate(in.choice(*v, path + ".interaction", "a trace interaction", trace_updates()));
    if (const Tree* v = t.find("homeostasis_rate"))
        s.bdsp.homeostasis_rate = BdspHomeostasisRate(
            in.choice(*v, path + ".homeostasis_rate", "the rate homeostasis compares with e_min", homeostasis_rates()));
    if (const Tree* v = t.find("active")) read_active(in, *v, path + ".active", p);
    if (const Tree* v = t.find("rate_factors")) read_rate_factors(in, *v, path + ".rate_factors", p);
    in.output_files.emplace("weights.h5", path);  // the final weights (io/weight_writer.hpp)
    fields.read_rest();
    const Dimension wdim = receptor_info(in, p).weight_dim;
    if (s.rule == PlasticityRule::bdsp && !(s.bdsp.w_min < s.bdsp.w_max)) {
        const Tree* at = t.find("w_max");
        in.fail(at ? at->pos : t.pos, path + ".w_max", "a w_max above w_min (" + q(s.bdsp.w_min, wdim) + ")",
                q(s.bdsp.w_max, wdim));
    }
    if (s.rule == PlasticityRule::urbanczik_senn) read_urbanczik_target(in, t, path, p);
    // What the kernel's storage needs: one delay, weights within the bounds from the start.
    if (!p.delay.is_constant())
        in.fail(t.pos, path, "a projection with one delay (a plastic projection's delay is dendritic and the same "
                             "for all its synapses)",
                "a plasticity rule on a projection whose delay is " + describe(p.delay, Dimension::time));
    const auto [lo, hi] = weight_bounds(s);
    if (const Tree* v = t.find("initial_weights")) {
        read_initial_weights_key(in, *v, path + ".initial_weights", p);
        for (float w : p.initial_weights->weight)
            if (double(w) < lo || double(w) > hi)
                in.fail(v->pos, path + ".initial_weights",
                        "initial weights within the rule's bounds [" + q(lo, wdim) + ", " + q(hi, wdim) + "]",
                        "weight " + q(double(w), wdim) + " in " + quote(p.initial_weights->file));
        return;
    }
    if (lower_bound(p.weight) < lo || upper_bound(p.weight) > hi)
        in.fail(t.pos, path,
                "initial weights within the rule's bounds [" + q(lo, wdim) + ", " + q(hi, wdim) +
                    "] (bound a weight distribution with min and max)",
                p.weight.is_constant() ? "weight " + q(p.weight.value, wdim) : describe(p.weight, wdim));
}

void write_plasticity(YAML::Emitter& out, const Reader& in, const ProjectionSpec& p) {
    out << YAML::Flow << YAML::BeginMap;
    write_fields(out, in, plasticity_tables().of(std::size_t(p.plasticity.rule)), p);
    out << YAML::EndMap;
}

const std::vector<std::string>& transmit_names() {
    static const auto names = enum_names(&transmit_name, 3);
    return names;
}

const ReceptorInfo& receptor_info(const Reader& in, const ProjectionSpec& p) {
    return population_named(in, p.target).info->receptors[std::size_t(std::max(p.receptor, 0))];
}

// The fields of a projection. Source, target, name, receptor and weight depend on each
// other and on the populations, so the section reads them itself; the table writes them.
const Table<ProjectionSpec>& projection_table() {
    using P = ProjectionSpec;
    static const Table<P> table = {
        custom_field<P>("name", nullptr, [](YAML::Emitter& out, const Reader&, const P& p) { out << p.name; }),
        custom_field<P>("source", nullptr,
                        [](YAML::Emitter& out, const Reader&, const P& p) { out << p.source; }),
        custom_field<P>("target", nullptr,
                        [](YAML::Emitter& out, const Reader&, const P& p) { out << p.target; }),
        custom_field<P>("connectivity", &read_connectivity, &write_connectivity)
            .require("the connection rule, e.g. {rule: fixed_indegree, indegree: 100}"),
        custom_field<P>("weight", nullptr,
                        [](YAML::Emitter& out, const Reader& in, const P& p) {
                            emit_distribution(out, p.weight, receptor_info(in, p).weight_dim);
                        }),
        custom_field<P>(
            "delay",
            [](Reader& in, const Tree& t, const std::string& path, P& p) {
                // Onto exact event-driven models a delay keeps its fraction of a step.
                p.delay = in.delay(t, path, population_named(in, p.target).info->event_driven);
            },
            [](YAML::Emitter& out, const Reader&, const P& p) {
                emit_distribution(out, p.delay, Dimension::time);
            })
            .require("the synaptic delay, a time of at least dt or a distribution"),
        custom_field<P>(
            "receptor", nullptr,
            [](YAML::Emitter& out, const Reader& in, const P& p) { out << receptor_info(in, p).name; })
            .when([](const P& p) { return p.receptor >= 0; }),
        custom_field<P>("synapse", &read_synapse, &write_synapse)
            .when([](const P& p) { return p.synapse.model != SynapseModel::static_synapse; }),
        choice_field("transmit", &P::transmit, "which spikes the projection transmits", transmit_names())
            .when([](const P& p) { return p.transmit != Transmit::all; }),
        custom_field<P>("plasticity", &read_plasticity, &write_plasticity)
            .when([](const P& p) { return p.plasticity.rule != PlasticityRule::none; }),
    };
    return table;
}

void read_weight(Reader& in, const Tree& item, const std::string& path, ProjectionSpec& p) {
    const PopulationSpec& target = population_named(in, p.target);
    const ModelInfo& tinfo = *target.info;
    p.receptor = read_receptor(in, item, path, target);
    const ReceptorInfo& rinfo = receptor_info(in, p);
    const Dimension wdim = rinfo.weight_dim;
    const Tree& w = in.require(item, path, "weight",
                               "the synaptic weight, " + expected_quantity(wdim) + " or a distribution");
    p.weight = in.distribution(w, path + ".weight", wdim);
    const bool may_be_negative = p.receptor < 0 || rinfo.signed_weights;  // < 0: routed by sign
    if (!may_be_negative && lower_bound(p.weight) < 0) {
        const std::string why =
            "receptor " + rinfo.name + " of " + tinfo.name + " takes only weights >= " + q(0, wdim);
        if (p.weight.is_constant())
            in.fail(w.pos, path + ".weight", "a non-negative weight (" + why + ")", q(p.weight.value, wdim));
        in.fail(w.pos, path + ".weight",
                "a weight distribution that never draws below " + q(0, wdim) + " (" + why +
                    "): add min: " + q(0, wdim),
                describe(p.weight, wdim));
    }
}

void read_projection(Reader& in, const Tree& item, const std::string& path) {
    in.expect_map(item, path, "a projection (a mapping with source, target, connectivity, weight and delay)");
    in.check_keys(item, path, keys_of(projection_table()), "a key of a projection");
    ProjectionSpec p;
    p.where = {item.pos.line, item.pos.column, path};
    const std::size_t si =
        in.population_ref(in.require(item, path, "source", "the source population"), path + ".source");
    const Tree& tt = in.require(item, path, "target", "the target population");
    const std::size_t ti = in.population_ref(tt, path + ".target");
    p.source = in.spec.populations[si].name;
    p.target = in.spec.populations[ti].name;
    const PopulationSpec& target = in.spec.populations[ti];
    if (target.info->is_spike_source || target.info->receptors.empty())
        in.fail(tt.pos, path + ".target", "a target population whose neurons take input",
                quote(p.target) + " (a " + target.model + " population, which has no receptors)");
    std::vector<std::string> taken;
    for (auto& other : in.spec.projections) taken.push_back(other.name);
    p.name = entry_name(in, item, path, p.source + "->" + p.target, "projection", taken, "projections",
                        "; give each projection its own name");
    FieldReader<ProjectionSpec> fields(in, item, path, projection_table(), p);
    fields.read({"connectivity"});
    read_weight(in, item, path, p);
    fields.read_rest();
    if (p.plasticity.rule != PlasticityRule::none && (target.info->event_driven || in.spec.populations[si].info->event_driven))
        in.fail(item.find("plasticity")->pos, path + ".plasticity",
                "no plasticity between exact event-driven models (their spikes are off the grid; plasticity runs on it)",
                quote(plasticity_rules()[std::size_t(p.plasticity.rule) - 1]) + " with " +
                    (target.info->event_driven ? target.model : in.spec.populations[si].model));
    in.spec.projections.push_back(std::move(p));
}

}  // namespace

void read_projections(Reader& in, const Tree* t) {
    read_list(in, t, "projections", "a list of projections",
              [&](const Tree& item, const std::string& path, std::size_t) { read_projection(in, item, path); });
}

void write_projections(YAML::Emitter& out, const Reader& in) {
    write_list(
        out, in, "projections", in.spec.projections,
        [](const ProjectionSpec&) -> const auto& { return projection_table(); });
}

}  // namespace apical::description
