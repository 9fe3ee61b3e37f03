// A plastic projection's initial weights from a previous run's weights.h5 (`plasticity:
// {initial_weights: ...}`, docs/description.md "Plasticity"): a second run starts with exactly
// the weights the first ended with, synapse by synapse (repeated pairs included), on another
// decomposition; a file that does not fit the projection is refused with the key's position.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/description.hpp"
#include "io/hdf5.hpp"
#include "run_in_process.hpp"
#include "scratch.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// 40 Poisson sources onto 20 neurons, 15 synapses each drawn with repeats (40 sources, so
// repeated pairs are common), STDP strong enough to move every weight in 400 ms.
std::string description(int threads, const std::string& plasticity, int seed = 3) {
    return "simulation: {dt: 0.1 ms, t_stop: 400 ms, seed: " + std::to_string(seed) +
           ", threads: " + std::to_string(threads) +
           "}\n"
           "populations:\n"
           "  src: {model: poisson_source, size: 40, parameters: {rate: 30 Hz}}\n"
           "  tgt: {model: iaf_psc_delta, size: 20, parameters: {V_reset: -65 mV}}\n"
           "projections:\n"
           "  - {name: learned, source: src, target: tgt, connectivity: {rule: fixed_indegree, indegree: 15},\n"
           "     weight: {distribution: uniform, low: 0.2 mV, high: 1.5 mV}, delay: 1 ms, plasticity: " +
           plasticity +
           "}\n"
           "stimuli:\n"
           "  - {name: drive, model: poisson_generator, targets: [tgt], rate: 6 kHz, weight: 0.3 mV, delay: 0.1 ms}\n";
}

struct Weights {
    std::vector<std::uint32_t> source, target;
    std::vector<float> weight;
};

Weights read_weights(const std::filesystem::path& file) {
    const h5::Handle f = h5::open_file_for_reading(file);
    const h5::Handle g = h5::open_group(f.get(), "weights/learned");
    return {h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "source_node_id").get()),
            h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "target_node_id").get()),
            h5::read_all<float>(h5::open_dataset(g.get(), "weight").get())};
}

const std::string learning = "{rule: stdp_pair, lambda: 0.05, Wmax: 2 mV";

}  // namespace

TEST_CASE("initial weights from a previous run: every synapse starts where the first run ended", "[plasticity]") {
    const auto dir = scratch("initial_weights");
    run_text(description(1, learning + "}"), dir / "first");
    const Weights first = read_weights(dir / "first" / "weights.h5");
    REQUIRE(first.weight.size() == 300);  // indegree 15 onto 20 neurons
    std::size_t repeated = 0;
    for (std::size_t k = 1; k < first.source.size(); ++k)
        repeated += first.source[k] == first.source[k - 1] && first.target[k] == first.target[k - 1];
    REQUIRE(repeated > 10);  // repeated pairs must keep their order

    // A frozen rule (lambda 0) on 3 threads: the weights at the end are the weights it started with.
    for (int threads : {1, 3}) {
        INFO(threads << " threads");
        const auto out = dir / ("second_" + std::to_string(threads));
        run_text(description(threads, "{rule: stdp_pair, lambda: 0, Wmax: 2 mV, initial_weights: " +
                                           (dir / "first" / "weights.h5").string() + "}"),
                 out);
        const Weights second = read_weights(out / "weights.h5");
        CHECK(second.source == first.source);
        CHECK(second.target == first.target);
        CHECK(second.weight == first.weight);
    }
    // The drawn weights differ from the first run's final ones (the rule was at work), so the
    // check above is not met by accident.
    run_text(description(1, "{rule: stdp_pair, lambda: 0, Wmax: 2 mV}"), dir / "drawn");
    const Weights drawn = read_weights(dir / "drawn" / "weights.h5");
    std::size_t same = 0;
    for (std::size_t k = 0; k < drawn.weight.size(); ++k) same += drawn.weight[k] == first.weight[k];
    CHECK(same < drawn.weight.size() / 10);

    // Continuing to learn from the file: 400 + 400 ms equals one run of 800 ms only in the
    // weights' start, not in the traces (they start at 0 again), so only the start is checked.
    // The resolved description names the file and reads back to the same weights.
    const std::string text = description(1, learning + ", initial_weights: {file: " +
                                                (dir / "first" / "weights.h5").string() + ", projection: learned}}");
    const NetworkSpec spec = parse_description(text, (dir / "model.yaml").string());
    REQUIRE(spec.projections[0].initial_weights);
    const NetworkSpec again = parse_description(spec.resolved_yaml, (dir / "model.yaml").string());
    REQUIRE(again.projections[0].initial_weights);
    CHECK(again.projections[0].initial_weights->weight == spec.projections[0].initial_weights->weight);
}

TEST_CASE("bad input: initial weights that do not fit the projection", "[plasticity][errors]") {
    const auto dir = scratch("initial_weights_errors");
    run_text(description(1, learning + "}"), dir / "first");
    const std::string file = (dir / "first" / "weights.h5").string();
    const std::string p = "projections[0].plasticity.initial_weights";
    const auto check = [&](const std::string& name, const std::string& text, const std::string& key_path,
                           const std::string& expected, const std::string& found) {
        INFO("case: " << name);
        try {
            parse_description(text, (dir / "model.yaml").string());
            run_text(text, dir / "out");
            FAIL("no error");
        } catch (const DescriptionError& e) {
            const std::string m = e.what();
            INFO(m);
            CHECK(m.find(key_path + ": expected " + expected) != std::string::npos);
            CHECK(m.find(found) != std::string::npos);
            CHECK(m.find("model.yaml:7:") != std::string::npos);  // the line of the plasticity key
        }
    };
    check("no such file", description(1, learning + ", initial_weights: missing.h5}"), p,
          "a readable weights.h5 of an earlier run", "(no such file)");
    std::ofstream(dir / "text.h5") << "not HDF5\n";
    check("not an HDF5 file", description(1, learning + ", initial_weights: " + (dir / "text.h5").string() + "}"), p,
          "a readable weights.h5 of an earlier run", "cannot open file");
    check("no such projection in the file",
          description(1, learning + ", initial_weights: {file: " + file + ", projection: EE}}"), p + ".file",
          "a readable weights.h5 of an earlier run", "no group /weights/EE");
    check("weights above the rule's bound", description(1, "{rule: stdp_pair, Wmax: 0.5 mV, initial_weights: " + file + "}"),
          p, "initial weights within the rule's bounds [0 mV, 0.5 mV]", "in \"" + file + "\"");
    // Another seed draws other sources: the build finds a synapse the file does not hold.
    check("another connectivity", description(1, learning + ", initial_weights: " + file + "}", 4), p,
          "a synapse from source node", "another connectivity or seed");
    // Another indegree: the counts differ.
    std::string fewer = description(1, learning + ", initial_weights: " + file + "}");
    fewer.replace(fewer.find("indegree: 15"), 12, "indegree: 14");
    check("fewer synapses", fewer, p, "14 synapses onto target node 0, as the projection builds them", "found 15");
}
