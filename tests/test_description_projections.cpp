// The projections section (docs/description.md: "projections", "Connection rules", "Weights",
// "Delays"): endpoints, connection rules and their limits, weights against the receptor's
// sign and unit, delays against dt, and the values a valid projection lands as. Error
// positions come from the "@@" markers of each case (tests/description_cases.hpp).
#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// The first projection of `small_description` (E -> E, pairwise_bernoulli) and the second
// (E -> C, all_to_all onto the conductance receptor exc), as written there.
const std::string first_projection = "  - {source: E, target: E";
const std::string second_projection = "  - {source: E, target: C";

// `small_description` with the second projection's connectivity written as `connectivity`.
std::string with_connectivity(const std::string& connectivity) {
    return replaced(small_description, "{rule: all_to_all}", connectivity);
}

// `small_description` with the second projection's weight written as `weight`.
std::string with_weight(const std::string& weight) { return replaced(small_description, "weight: 2 nS", weight); }

// `small_description` with the first projection's delay written as `delay`.
std::string with_delay(const std::string& delay) { return replaced(small_description, "delay: 1.5 ms", delay); }

// `small_description` with `text` removed from it and the projection at `item` marked.
std::string without(const std::string& text, const std::string& item) {
    return replaced(replaced(small_description, text, "}"), item, "  - @@" + item.substr(4));
}

const std::string rules =
    "a connection rule (one of: all_to_all, one_to_one, pairwise_bernoulli, fixed_indegree, fixed_outdegree, "
    "fixed_total_number)";
const std::string exc_nonnegative = "(receptor exc of iaf_cond_exp takes only weights >= 0 nS)";

std::vector<error_case> projection_errors() {
    return {
        // Shape, names and endpoints.
        {"not a list", "populations: {E: {model: iaf_psc_delta, size: 1}}\nprojections: @@{a: 1}\n", "projections",
         "a list of projections", "a mapping"},
        {"no delay", without(", delay: 1.5 ms}", first_projection), "projections[0]",
         "a \"delay\" key (the synaptic delay, a time of at least dt or a distribution)",
         "keys source, target, connectivity, weight"},
        {"a name given twice",
         small_description +
             "  - {name: @@E->E, source: E, target: E, connectivity: {rule: all_to_all}, weight: 1, delay: 1}\n",
         "projections[2].name",
         "a projection name not used before (projections[0] is \"E->E\"; give each projection its own name)", "\"E->E\""},
        {"unknown target population", replaced(small_description, "target: C", "target: @@X"),
         "projections[1].target", "a population name (one of: E, C)", "\"X\""},
        {"a spike source as target",
         replaced(small_description, "size: 5", "size: 5\n  S: {model: spike_source, size: 1}") +
             "  - {source: E, target: @@S, connectivity: {rule: all_to_all}, weight: 1, delay: 1}\n",
         "projections[2].target", "a target population whose neurons take input",
         "\"S\" (a spike_source population, which has no receptors)"},

        // Receptors: iaf_cond_exp does not route by sign, a receptor must be named.
        {"unknown receptor", replaced(small_description, "receptor: exc", "receptor: @@ampa"),
         "projections[1].receptor",
         "a receptor of iaf_cond_exp, the model of population C (one of: exc, inh)", "\"ampa\""},
        {"no receptor onto a model that needs one", without(", receptor: exc}", second_projection),
         "projections[1]",
         "a \"receptor\" key (iaf_cond_exp, the model of population C, needs one named: exc or inh)",
         "keys source, target, connectivity, weight, delay"},

        // Connectivity (docs/description.md, "Connection rules").
        {"unknown connectivity key", replaced(small_description, "p: 0.1}", "p: 0.1, @@indegree: 3}"),
         "projections[0].connectivity.indegree",
         "a key of pairwise_bernoulli connectivity (one of: rule, p, allow_autapses, allow_multapses)",
         "\"indegree\""},
        {"unknown rule", with_connectivity("{rule: @@all_to_one}"), "projections[1].connectivity.rule", rules,
         "\"all_to_one\" (did you mean all_to_all?)"},
        {"one_to_one between populations of different sizes", with_connectivity("{rule: @@one_to_one}"),
         "projections[1].connectivity.rule", "source and target populations of the same size for one_to_one",
         "E with 10 and C with 5 neurons"},
        {"probability above 1", replaced(small_description, "p: 0.1", "p: @@1.5"),
         "projections[0].connectivity.p", "a probability in [0, 1]", "1.5"},
        {"not a boolean", with_connectivity("{rule: all_to_all, allow_autapses: @@yes please}"),
         "projections[1].connectivity.allow_autapses", "true or false", "\"yes please\""},
        {"indegree above the source size without multapses",
         with_connectivity("{rule: fixed_indegree, indegree: @@11, allow_multapses: false}"),
         "projections[1].connectivity.indegree",
         "an indegree of at most 10 (source E has 10 neurons; multapses are off)", "11"},
        {"indegree above the source size without autapses and multapses",
         replaced(small_description, "{rule: pairwise_bernoulli, p: 0.1}",
                  "{rule: fixed_indegree, indegree: @@10, allow_autapses: false, allow_multapses: false}"),
         "projections[0].connectivity.indegree",
         "an indegree of at most 9 (source E has 10 neurons, one of them excluded as an autapse; multapses are off)",
         "10"},
        {"fixed_total_number without multapses",
         with_connectivity("{rule: fixed_total_number, N: 10, allow_multapses: @@false}"),
         "projections[1].connectivity.allow_multapses",
         "allow_multapses: true (fixed_total_number without multapses is not supported, as in NEST)", "false"},
        {"no outdegree", with_connectivity("@@{rule: fixed_outdegree}"), "projections[1].connectivity",
         "a \"outdegree\" key (the number of targets per source)", "keys rule"},

        // Weights (docs/description.md, "Weights"): the unit and sign of the receptor.
        {"weight of the wrong dimension", with_weight("weight: @@2 mV"), "projections[1].weight",
         "a conductance (e.g. \"10 nS\")", "\"2 mV\" (a voltage)"},
        {"negative weight onto a conductance receptor", with_weight("weight: @@-2 nS"), "projections[1].weight",
         "a non-negative weight " + exc_nonnegative, "-2 nS"},
        {"normal weights without min onto a conductance receptor",
         with_weight("weight: @@{distribution: normal, mean: 2 nS, std: 1 nS}"), "projections[1].weight",
         "a weight distribution that never draws below 0 nS " + exc_nonnegative + ": add min: 0 nS",
         "a normal distribution (mean 2 nS, std 1 nS) without min"},
        {"uniform weights reaching below 0 onto a conductance receptor",
         with_weight("weight: @@{distribution: uniform, low: -1 nS, high: 1 nS}"), "projections[1].weight",
         "a weight distribution that never draws below 0 nS " + exc_nonnegative + ": add min: 0 nS",
         "a uniform distribution on [-1 nS, 1 nS) without min"},

        // Delays (docs/description.md, "Delays"): at least dt.
        {"delay below dt", with_delay("delay: @@0.05 ms"), "projections[0].delay",
         "a delay of at least dt (0.1 ms)", "0.05 ms"},
        // At most 65535 steps (16-bit per-synapse delays), so that no delay wraps.
        {"a delay too long to store", with_delay("delay: @@3e8 ms"), "projections[0].delay",
         "a delay of at most 65535 steps (6553.5 ms)", "3e+08 ms"},
        {"uniform delays beyond 65535 steps",
         with_delay("delay: @@{distribution: uniform, low: 1 ms, high: 1e9 ms}"), "projections[0].delay",
         "a delay of at most 65535 steps (6553.5 ms) for every draw: add max: 6553.5 ms",
         "a uniform distribution on [1 ms, 1e+09 ms) without min"},
        {"normal delays without min", with_delay("delay: @@{distribution: normal, mean: 1.5 ms, std: 0.5 ms}"),
         "projections[0].delay", "a delay of at least dt (0.1 ms) for every draw: add min: 0.1 ms",
         "a normal distribution (mean 1.5 ms, std 0.5 ms) without min"},
        {"zero delay",
         replaced(small_description, second_projection,
                  second_projection +
                      ", connectivity: {rule: all_to_all}, weight: 2 nS, delay: @@0 ms, receptor: exc}\n" +
                      second_projection),
         "projections[1].delay", "a delay of at least dt (0.1 ms)", "0 ms"},
    };
}

}  // namespace

TEST_CASE("bad input: projections", "[description][errors]") {
    check_error_case(GENERATE(from_range(projection_errors())));
}

// The fixes the messages above ask for are accepted: a distribution clipped at 0, one above
// 0, an indegree the source can give (here set with --set).
TEST_CASE("projections: what the errors ask for is accepted", "[description]") {
    const std::string clipped = "weight: {distribution: normal, mean: 2 nS, std: 1 nS, min: 0 nS}";
    CHECK(parse_description(with_weight(clipped), "m.yaml").projections[1].weight.min == 0.0);
    const std::string above = "weight: {distribution: uniform, low: 0 nS, high: 1 nS}";
    CHECK(parse_description(with_weight(above), "m.yaml").projections[1].weight.low == 0.0);
    const std::string eleven = with_connectivity("{rule: fixed_indegree, indegree: 11, allow_multapses: false}");
    CHECK(parse_description(eleven, "ok.yaml", {"projections[1].connectivity.indegree=10"}).projections[1].degree ==
          10);
}

// The values as written in the full description, in the receptor's weight unit (mV for
// iaf_psc_delta, nS for iaf_cond_exp) and ms.
TEST_CASE("projections: the full description", "[description]") {
    const marked_text& full = full_description();
    const NetworkSpec s = parse_description(full.text, "models/full.yaml");
    REQUIRE(s.projections.size() == 6);
    const ProjectionSpec& ee = s.projections[0];
    CHECK(ee.name == "EE");
    CHECK(ee.source == "E");
    CHECK(ee.target == "E");
    CHECK(ee.rule == ConnectionRule::fixed_indegree);
    CHECK(ee.degree == 10);
    CHECK_FALSE(ee.allow_autapses);
    CHECK(ee.allow_multapses);
    CHECK(ee.weight.is_constant());
    CHECK(ee.weight.value == 0.1);
    CHECK(ee.delay.value == 1.5);
    CHECK(ee.receptor == -1);  // none named: route by sign
    check_where(ee.where, full.at("EE"), "projections[0]");

    const ProjectionSpec& ie = s.projections[1];
    CHECK(ie.name == "I->E");  // default: source->target
    CHECK(ie.rule == ConnectionRule::pairwise_bernoulli);
    CHECK(ie.p == 0.2);
    CHECK(ie.allow_autapses);
    CHECK(ie.weight.kind == Distribution::Kind::normal);
    CHECK(ie.weight.mean == -0.5);
    CHECK(ie.weight.std == 0.1);
    CHECK_FALSE(ie.weight.min.has_value());
    CHECK(ie.delay.kind == Distribution::Kind::uniform);
    CHECK(ie.delay.low == 1.0);
    CHECK(ie.delay.high == 2.0);

    const ProjectionSpec& ec = s.projections[2];
    CHECK(ec.rule == ConnectionRule::fixed_outdegree);
    CHECK(ec.degree == 5);
    CHECK_FALSE(ec.allow_multapses);
    CHECK(ec.weight.kind == Distribution::Kind::lognormal);
    CHECK(ec.weight.mean == 2.0);
    CHECK(ec.delay.min == 0.05);
    CHECK(ec.receptor == 0);  // exc

    CHECK(s.projections[3].rule == ConnectionRule::all_to_all);
    CHECK(s.projections[3].weight.value == 1000.0);  // 1 uS in nS
    CHECK(s.projections[3].receptor == 1);  // inh
    CHECK(s.projections[4].rule == ConnectionRule::one_to_one);
    CHECK(s.projections[5].rule == ConnectionRule::fixed_total_number);
    CHECK(s.projections[5].degree == 500);
}

// Defaults of docs/description.md, "projections": name source->target, autapses and
// multapses allowed, bare numbers in mV and ms, no receptor (route by sign).
TEST_CASE("projections: defaults", "[description]") {
    const NetworkSpec s = parse_description(minimal_description, "d.yaml");
    const ProjectionSpec& p = s.projections.at(0);
    CHECK(p.name == "E->E");
    CHECK(p.allow_autapses);
    CHECK(p.allow_multapses);
    CHECK(p.weight.value == -0.2);
    CHECK(p.delay.value == 1.0);
    CHECK(p.receptor == -1);
}
