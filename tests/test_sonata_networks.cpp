// SONATA networks in (io/sonata.hpp, docs/sonata.md 3): the published circuits of
// tests/data/sonata read with the structure their READMEs state, run against the NEST 3.9
// references stored beside them, the format samples read, bad input refused with exit code 2,
// and 1 and 2 threads giving the same spikes. (2 ranks: test_sonata_mpi.cpp.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli_runner.hpp"
#include "io/hdf5.hpp"
#include "io/sonata.hpp"
#include "io/sonata/edges.hpp"
#include "io/sonata/files.hpp"
#include "run_in_process.hpp"
#include "sonata_copies.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

const fs::path data = APICAL_SONATA_REFERENCE_DIR;
const fs::path pointneurons = data / "300_pointneurons" / "config.json";
const fs::path point120 = data / "point_120cells" / "config.simulation.json";
const fs::path intfire = data / "300_intfire" / "config.json";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

using Train = std::vector<std::pair<double, std::uint64_t>>;  // (time, node), sorted

Train train_of(const PopulationSpikes& p) {
    Train t;
    for (std::size_t k = 0; k < p.timestamps.size(); ++k) t.push_back({p.timestamps[k], p.node_ids[k]});
    std::sort(t.begin(), t.end());
    return t;
}

// A reference spike file of tests/data (NEST's: no /apical group).
Train reference_train(const fs::path& file, const std::string& population) {
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle g = h5::open_group(f.get(), "spikes/" + population);
    const auto t = h5::read_all<double>(h5::open_dataset(g.get(), "timestamps").get());
    const auto n = h5::read_all<std::uint64_t>(h5::open_dataset(g.get(), "node_ids").get());
    PopulationSpikes p{t, n, {}};
    return train_of(p);
}

// Times compared on the grid (both are step * dt, written by different programs).
bool same_spike(const std::pair<double, std::uint64_t>& a, const std::pair<double, std::uint64_t>& b, double dt) {
    return a.second == b.second && std::llround(a.first / dt) == std::llround(b.first / dt);
}

struct Comparison {
    std::size_t ours = 0, reference = 0, in_both = 0;
    double identical_until_ms = 0;  // the trains are identical before this time
};

Comparison compare(const Train& ours, const Train& ref, double dt, double t_stop) {
    Comparison c{ours.size(), ref.size(), 0, t_stop};
    std::set<std::pair<long long, std::uint64_t>> r;
    for (auto& s : ref) r.insert({std::llround(s.first / dt), s.second});
    for (auto& s : ours) c.in_both += r.count({std::llround(s.first / dt), s.second});
    for (std::size_t k = 0; k < std::min(ours.size(), ref.size()); ++k)
        if (!same_spike(ours[k], ref[k], dt)) {
            c.identical_until_ms = std::min(ours[k].first, ref[k].first);
            return c;
        }
    if (ours.size() != ref.size())
        c.identical_until_ms = ours.size() < ref.size() ? ref[ours.size()].first : ours[ref.size()].first;
    return c;
}

// Node type of every node of a population (for per-type counts).
std::vector<std::int64_t> node_types(const fs::path& nodes_file, const std::string& population) {
    h5::Handle f = h5::open_file_for_reading(nodes_file);
    h5::Handle g = h5::open_group(f.get(), "nodes/" + population);
    return h5::read_all<std::int64_t>(h5::open_dataset(g.get(), "node_type_id").get());
}

std::map<std::int64_t, std::size_t> per_type(const Train& t, const std::vector<std::int64_t>& types) {
    std::map<std::int64_t, std::size_t> n;
    for (auto& s : t) ++n[types.at(s.second)];
    return n;
}

// Runs a SONATA config in this process into `out` and returns the simulated population's train.
Train run_config(const fs::path& config, const fs::path& out, const std::string& population,
                 std::vector<std::string> overrides = {}) {
    overrides.push_back("simulation.output=" + out.string());
    NetworkSpec spec = load_sonata(config.string(), overrides);
    run_spec(spec);
    return train_of(read_spike_file(out / "spikes.h5").populations.at(population));
}

// `apical run` on a broken copy: exit code 2, one line naming `file_part` and `what`.
void expect_bad(const fs::path& config, const fs::path& out, const std::string& file_part, const std::string& what) {
    const CommandResult r = run_apical("run " + config.string() + " -o " + out.string());
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 2);
    const std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
    CHECK(contains(last, file_part));
    CHECK(contains(last, what));
    CHECK_FALSE(fs::exists(out / "spikes.h5"));
}

}  // namespace

TEST_CASE("300_pointneurons: the structure its README states", "[sonata]") {
    // README (tests/data/sonata/300_pointneurons): 300 internal iaf_psc_alpha nodes in five
    // node types, 100 virtual external nodes, 27 588 + 20 844 = 48 432 edges, 86 autapses.
    NetworkSpec spec = load_sonata(pointneurons.string());
    REQUIRE(spec.populations.size() == 2);
    CHECK(spec.populations[0].name == "internal");
    CHECK(spec.populations[0].model == "iaf_psc_alpha");
    CHECK(spec.populations[0].size == 300);
    CHECK(spec.populations[0].parameter_sets.size() == 5);  // one per node type (README table)
    CHECK(spec.populations[1].name == "external");
    CHECK(spec.populations[1].model == "spike_source");
    CHECK(spec.populations[1].size == 100);
    CHECK(spec.simulation.dt_ms == 0.01);
    CHECK(spec.simulation.t_stop_ms == 1500.0);
    LocalContext ctx;
    Simulation sim(spec, ctx);
    CHECK(sim.network().n_neurons() == 400);
    CHECK(sim.network().n_synapses() == 48432);
    const auto per_projection = sim.network().synapses_per_projection();
    CHECK(spec.projections[0].name == "internal_to_internal");
    CHECK(per_projection[0] == 27588);
    CHECK(per_projection[1] == 20844);
    // Delays: 2.0 ms (CSV) inside, NEST's default 1.0 ms for the external edges (none given).
    CHECK(sim.network().min_delay() == 100);
    CHECK(sim.network().max_delay() == 200);
    std::vector<std::uint32_t> all(300);
    for (std::uint32_t i = 0; i < 300; ++i) all[i] = i;
    std::vector<ExplicitEdge> edges = spec.projections[0].edges->all_edges_onto(all);
    CHECK(edges.size() == 27588);
    CHECK(std::count_if(edges.begin(), edges.end(), [](auto& e) { return e.source == e.target; }) == 86);
    // Weights per type (README table): +2.5, +7.0, -7.5, -3.0 pA inside, delay 2.0 ms.
    std::set<double> weights;
    for (auto& e : edges) weights.insert(e.weight);
    CHECK(weights == std::set<double>{-7.5, -3.0, 2.5, 7.0});
    CHECK(std::all_of(edges.begin(), edges.end(), [](auto& e) { return e.delay_ms == 2.0; }));
    edges = spec.projections[1].edges->all_edges_onto(all);
    CHECK(std::all_of(edges.begin(), edges.end(), [](auto& e) { return e.delay_ms == 1.0; }));
    weights.clear();
    for (auto& e : edges) weights.insert(e.weight);
    CHECK(weights == std::set<double>{50.0, 65.0});
}

TEST_CASE("300_pointneurons: spikes and V_m against NEST 3.9", "[sonata]") {
    const fs::path out = scratch("sonata_300_pointneurons");
    NetworkSpec spec = load_sonata(pointneurons.string(), {"simulation.output=" + out.string()});
    // The reference samples V_m every 0.1 ms from 0.1 ms up to 1499.0 ms (README, reference data).
    REQUIRE(spec.state_recordings.size() == 1);
    spec.state_recordings[0].interval_ms = 0.1;
    spec.state_recordings[0].start_ms = 0.1;
    spec.state_recordings[0].stop_ms = 1499.05;
    run_spec(spec);
    const Train ours = train_of(read_spike_file(out / "spikes.h5").populations.at("internal"));
    const Train ref = reference_train(data / "300_pointneurons/reference_nest-3.9/spikes.h5", "internal");
    const Comparison c = compare(ours, ref, 0.01, 1500.0);
    const auto types = node_types(data / "300_pointneurons/network/internal_nodes.h5", "internal");
    const auto n_ours = per_type(ours, types), n_ref = per_type(ref, types);
    WARN("300_pointneurons: " << c.ours << " spikes (NEST 3.9: " << c.reference << "), " << c.in_both
                              << " identical (node, step); trains identical up to " << c.identical_until_ms
                              << " ms; per type 100..104: " << n_ours.at(100) << ", " << n_ours.at(101) << ", "
                              << n_ours.at(102) << ", " << n_ours.at(103) << ", " << n_ours.at(104));
    // README: 18 828 spikes; per type 1 350, 2 780, 7 755, 1 738, 5 205. apical implements
    // NEST's iaf_psc_alpha update operation by operation (neurons/iaf_psc_alpha.cpp), NEST's
    // input rounding and default delay, so every spike is expected identical (measured so).
    CHECK(c.reference == 18828);
    CHECK(n_ref == std::map<std::int64_t, std::size_t>{{100, 1350}, {101, 2780}, {102, 7755}, {103, 1738}, {104, 5205}});
    CHECK(c.ours == c.reference);
    CHECK(c.in_both == c.reference);
    CHECK(c.identical_until_ms == 1500.0);
    CHECK(n_ours == n_ref);

    // V_m of nodes 0, 80, 160, 240, 270: float32 frames; identical spikes mean identical
    // doubles, so the float32 values are expected equal.
    const auto frames = [](const fs::path& f, std::vector<std::uint64_t>& ids) {
        h5::Handle file = h5::open_file_for_reading(f);
        h5::Handle g = h5::open_group(file.get(), "report/internal");
        ids = h5::read_all<std::uint64_t>(h5::open_dataset(g.get(), "mapping/node_ids").get());
        h5::Handle d = h5::open_dataset(g.get(), "data");
        const auto dims = h5::shape(d.get());
        std::vector<float> v(dims[0] * dims[1]);
        REQUIRE(H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
        return v;
    };
    std::vector<std::uint64_t> ids_ours, ids_ref;
    const auto v_ours = frames(out / "membrane_potential.h5", ids_ours);
    const auto v_ref = frames(data / "300_pointneurons/reference_nest-3.9/membrane_potential.h5", ids_ref);
    CHECK(ids_ours == ids_ref);
    REQUIRE(v_ours.size() == v_ref.size());  // 14 990 frames x 5 nodes
    std::size_t equal = 0;
    double largest = 0;
    for (std::size_t k = 0; k < v_ours.size(); ++k) {
        equal += v_ours[k] == v_ref[k];
        largest = std::max(largest, double(std::abs(v_ours[k] - v_ref[k])));
    }
    WARN("300_pointneurons V_m: " << equal << " of " << v_ours.size() << " float32 values equal, largest difference "
                                  << largest << " mV");
    CHECK(equal == v_ours.size());
}

TEST_CASE("point_120cells: structure and spikes against NEST 3.9", "[sonata][no_sanitize]") {
    // README (tests/data/sonata/point_120cells): 120 cortex iaf_psc_delta cells with NEST's
    // defaults, 100 virtual thalamus nodes, 2 661 edges (989 + 480 + 1 192), weights and delays
    // only in the CSVs (1.5 ms), dt 0.001 ms; the NEST 3.9 reference has 1 197 spikes
    // (833 of type 100, 364 of type 101), unchanged at dt 0.01.
    NetworkSpec spec = load_sonata(point120.string());
    REQUIRE(spec.populations.size() == 2);
    CHECK(spec.populations[0].model == "iaf_psc_delta");
    CHECK(spec.populations[0].size + spec.populations[1].size == 220);
    {
        LocalContext ctx;
        Simulation sim(spec, ctx);
        CHECK(sim.network().n_synapses() == 2661);
        CHECK(sim.network().min_delay() == 1500);
    }
    const fs::path out = scratch("sonata_point_120cells");
    const Train ours = run_config(point120, out, "cortex");
    const Train ref = reference_train(data / "point_120cells/reference_nest-3.9/spikes.h5", "cortex");
    const Comparison c = compare(ours, ref, 0.001, 3000.0);
    const auto types = node_types(data / "point_120cells/network/cortex_nodes.h5", "cortex");
    const auto n_ours = per_type(ours, types);
    WARN("point_120cells: " << c.ours << " spikes (NEST 3.9: " << c.reference << "), " << c.in_both
                            << " identical; trains identical up to " << c.identical_until_ms << " ms; per type 100, 101: "
                            << n_ours.at(100) << ", " << n_ours.at(101));
    CHECK(c.reference == 1197);
    CHECK(c.ours == 1197);
    CHECK(c.in_both == 1197);
    CHECK(c.identical_until_ms == 3000.0);
    CHECK(n_ours == std::map<std::int64_t, std::size_t>{{100, 833}, {101, 364}});
}

TEST_CASE("SONATA format samples read", "[sonata]") {
    using namespace apical::sonata;
    const fs::path lib = data / "format-samples/libsonata";
    // The BBP configs: JSON with manifests ("$BASE_DIR": "./", "$NETWORK_DIR": "../").
    const JsonFile circuit = read_config(lib / "config/circuit_config.json", "circuit config");
    const fs::path nodes = config_path(circuit, circuit.root["networks"]["nodes"][0]["nodes_file"], "nodes_file");
    CHECK(fs::equivalent(nodes, lib / "nodes1.h5"));
    const JsonFile sim = read_config(lib / "config/simulation_config.json", "simulation config");
    CHECK(sim.root["run"]["dt"].as<double>() > 0);
    CHECK(read_json(lib / "node_sets.json", "node sets").IsMap());
    // edges-AB: an index in the plural spelling (node_id_to_ranges, several ranges per node,
    // empty ranges) and the same edges without an index give the same edges per target; the
    // values are target_node_id 1, 2, 1, 1, 0, 2 and source_node_id 1, 1, 2, 2, 3, 3 (h5dump).
    for (const char* file : {"edges1.h5", "edges-no-index.h5"}) {
        EdgePopulation p;
        p.file = lib / file;
        p.name = "edges-AB";
        p.source = "nodes-A", p.target = "nodes-B";
        p.n_sources = 6, p.n_targets = 3, p.n_edges = 6;
        auto types = std::make_shared<TypeTable>();
        types->columns = {"edge_type_id", "syn_weight"};
        types->rows[-1] = {std::string("-1"), std::string("1.5")};
        p.types = types;
        p.type_weight[-1] = 1.5;
        p.type_delay[-1] = std::nullopt;
        SonataEdges edges(p);
        std::vector<ExplicitEdge> out = edges.all_edges_onto({0, 1, 2});
        INFO(file);
        REQUIRE(out.size() == 6);
        const std::vector<std::pair<std::uint32_t, std::uint32_t>> expected = {{3, 0}, {1, 1}, {2, 1}, {2, 1}, {1, 2}, {3, 2}};
        for (std::size_t k = 0; k < 6; ++k) {
            CHECK(out[k].source == expected[k].first);
            CHECK(out[k].target == expected[k].second);
            CHECK(out[k].weight == 1.5);
            CHECK(out[k].delay_ms == 1.0);  // the default for a missing delay
        }
        out = edges.all_edges_onto({1});
        CHECK(out.size() == 3);
    }
    // Type CSVs: NULL, None and NONE are absent values; quoted fields may hold spaces.
    const fs::path dir = scratch("sonata_format_csv");
    {
        std::ofstream f(dir / "types.csv");
        f << "node_type_id  model_type \"pop name\" dynamics_params\n100 point_neuron \"a b\" NULL\n101 virtual x None\n";
    }
    const TypeTable t = read_type_table(dir / "types.csv", "node_type_id");
    CHECK(t.value(100, "pop name") == std::optional<std::string>("a b"));
    CHECK_FALSE(t.value(100, "dynamics_params").has_value());
    CHECK_FALSE(t.value(101, "dynamics_params").has_value());
    CHECK(t.value(101, "model_type") == std::optional<std::string>("virtual"));
}

TEST_CASE("bad SONATA input: exit code 2 naming the file and the dataset or row", "[sonata][errors]") {
    SECTION("a missing file") {
        const fs::path dir = scratch("sonata_bad_missing_file");
        const fs::path config = copy_point120(dir);
        fs::remove(dir / "point_120cells/network/cortex_nodes.h5");
        expect_bad(config, dir / "out", "cortex_nodes.h5", "not found");
    }
    SECTION("a missing dataset") {
        const fs::path dir = scratch("sonata_bad_missing_dataset");
        const fs::path config = copy_point120(dir);
        {
            h5::Handle f = h5::open_file(dir / "point_120cells/network/cortex_cortex_edges.h5", H5F_ACC_RDWR);
            REQUIRE(H5Ldelete(f.get(), "/edges/cortex_to_cortex/edge_type_id", H5P_DEFAULT) >= 0);
        }
        expect_bad(config, dir / "out", "cortex_cortex_edges.h5", "/edges/cortex_to_cortex/edge_type_id: no such dataset");
    }
    SECTION("an edge pointing outside its node population") {
        const fs::path dir = scratch("sonata_bad_edge_outside");
        const fs::path config = copy_point120(dir);
        {
            h5::Handle f = h5::open_file(dir / "point_120cells/network/thalamus_cortex_edges.h5", H5F_ACC_RDWR);
            h5::Handle d = h5::open_dataset(f.get(), "/edges/thalamus_to_cortex/source_node_id");
            h5::Handle space(H5Dget_space(d.get()));
            const hsize_t start = 7, count = 1;
            H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
            h5::Handle mem(H5Screate_simple(1, &count, nullptr));
            const std::uint64_t bad_id = 100;  // thalamus has nodes 0..99
            REQUIRE(H5Dwrite(d.get(), H5T_NATIVE_UINT64, mem.get(), space.get(), H5P_DEFAULT, &bad_id) >= 0);
        }
        expect_bad(config, dir / "out", "thalamus_cortex_edges.h5",
                   "/edges/thalamus_to_cortex/source_node_id row 7: node id 100 outside population 'thalamus' of 100 nodes");
    }
    SECTION("an unknown template") {
        const fs::path dir = scratch("sonata_bad_template");
        const fs::path config = copy_point120(dir);
        std::ofstream(dir / "point_120cells/network/cortex_node_types.csv")
            << "node_type_id ei dynamics_params model_type model_template pop_name\n"
               "100 e iaf_psc_delta_exc.json point_neuron nrn:IntFire4 LIF_exc\n"
               "101 i iaf_psc_delta_inh.json point_neuron nest:iaf_psc_delta LIF_inh\n";
        expect_bad(config, dir / "out", "cortex_node_types.csv", "\"nrn:IntFire4\" is not supported; apical reads nest:iaf_psc_alpha");
    }
    SECTION("a parameter the model does not have") {
        const fs::path dir = scratch("sonata_template_bad_parameter");
        const fs::path config = copy_point120(dir);
        std::ofstream(dir / "point_components/cell_models/iaf_psc_delta_exc.json") << "{\"tau_syn_ex\": 2.0}\n";
        expect_bad(config, dir / "out", "iaf_psc_delta_exc.json", "tau_syn_ex: not a parameter of nest:iaf_psc_delta");
    }
    SECTION("an initial V_m for IntFire1, which has none") {
        const fs::path dir = scratch("sonata_intfire_v_m");
        const fs::path config = copy_intfire(dir);
        std::ofstream(dir / "components/point_neuron_models_dir/IntFire1_exc_1.json")
            << "{\"tau\": 0.024, \"refrac\": 0.003, \"V_m\": -70}\n";
        expect_bad(config, dir / "out", "IntFire1_exc_1.json",
                   "V_m: an initial membrane potential, but nrn:IntFire1 has none (its state starts at 0)");
    }
    SECTION("a negative nsyns onto IntFire1 (BMTK's weight rule)") {
        const fs::path dir = scratch("sonata_intfire_nsyns");
        const fs::path config = copy_intfire(dir);
        // Without the per-edge nsyns of tw_to_v1, its types' CSV column nsyns counts; -5 there.
        {
            const fs::path edges = dir / "300_intfire/network/tw_v1_edges.h5";
            h5::Handle f = h5::open_file(edges, H5F_ACC_RDWR);
            REQUIRE(H5Ldelete(f.get(), "edges/tw_to_v1/0/nsyns", H5P_DEFAULT) >= 0);
        }
        std::ofstream(dir / "300_intfire/network/tw_v1_edge_types.csv")
            << "edge_type_id target_query source_query delay weight_function syn_weight dynamics_params nsyns\n"
               "100 model_name=='LIF_exc' * 2.0 wmax 0.01 instanteneousExc.json -5\n"
               "101 model_name=='LIF_inh' * 2.0 wmax 0.02 instanteneousExc.json 5\n";
        expect_bad(config, dir / "out", "tw_v1_edge_types.csv", "edge type 100, column nsyns: expected a number of synapses (>= 0), found -5");
    }
    SECTION("a CSV row with a wrong number of columns") {
        const fs::path dir = scratch("sonata_bad_csv");
        const fs::path config = copy_point120(dir);
        std::ofstream(dir / "point_120cells/network/cortex_cortex_edge_types.csv")
            << "edge_type_id target_query source_query syn_weight delay dynamics_params model_template\n"
               "100 * ei=='e' 2.0 1.5 ExcToInh.json static_synapse\n"
               "101 * ei=='i' -1.5 1.5 InhToExc.json\n";
        expect_bad(config, dir / "out", "cortex_cortex_edge_types.csv", "line 3: expected 7 columns (as the header), found 6");
    }
}

// Spike trains with exact times: the same number of spikes per node, and the k-th spike of
// each node at the same time within `largest` ms.
struct ExactComparison {
    std::size_t ours = 0, reference = 0;
    bool same_counts = false;
    double largest = 0;  // largest |time difference| of matched spikes (ms)
};

ExactComparison compare_exact(const Train& ours, const Train& ref) {
    std::map<std::uint64_t, std::vector<double>> a, b;
    for (auto& [t, n] : ours) a[n].push_back(t);
    for (auto& [t, n] : ref) b[n].push_back(t);
    ExactComparison c{ours.size(), ref.size(), true, 0.0};
    for (auto& [n, times] : b)
        if (!a.count(n) || a[n].size() != times.size()) c.same_counts = false;
    for (auto& [n, times] : a) {
        if (!b.count(n) || b[n].size() != times.size()) {
            c.same_counts = false;
            continue;
        }
        for (std::size_t k = 0; k < times.size(); ++k) c.largest = std::max(c.largest, std::abs(times[k] - b[n][k]));
    }
    return c;
}

TEST_CASE("300_intfire: the structure its README states", "[sonata][intfire1]") {
    // README (tests/data/sonata/300_intfire): 300 IntFire1 cells (240 exc tau 24 ms, 60 inh
    // tau 7 ms, refrac 3 ms; parameter files in seconds), 90 + 30 virtual nodes, 87 720 edges,
    // all delays 2.0 ms, effective weight = syn_weight x sign x nsyns per edge type.
    NetworkSpec spec = load_sonata(intfire.string());
    REQUIRE(spec.populations.size() == 3);
    CHECK(spec.populations[0].model == "intfire1");
    CHECK(spec.populations[0].size == 300);
    REQUIRE(spec.populations[0].parameter_sets.size() == 2);
    CHECK(spec.populations[0].parameter_sets[0].at("tau") == 24.0);
    CHECK(spec.populations[0].parameter_sets[1].at("tau") == 7.0);
    CHECK(spec.populations[0].parameter_sets[1].at("refrac") == 3.0);
    CHECK(spec.populations[1].model == "spike_source");
    CHECK(spec.populations[1].size + spec.populations[2].size == 120);
    std::size_t input_spikes = 0;
    for (int p : {1, 2})
        for (auto& times : spec.populations[std::size_t(p)].spike_times_ms) input_spikes += times.size();
    CHECK(input_spikes == 2738 + 295);  // both flat-layout input files, all inside the run
    LocalContext ctx;
    Simulation sim(spec, ctx);
    CHECK(sim.network().n_neurons() == 420);
    CHECK(sim.network().n_synapses() == 87720);
    std::set<float> weights;
    for (auto& vp : sim.network().vps())
        for (auto& t : vp.tables()) {
            CHECK(t.event_target);
            CHECK(t.delay_fraction.empty());  // 2.0 ms is 20 steps of 0.1 ms
            for (float w : t.weight) weights.insert(w);
        }
    // README table, "effective weight" column.
    CHECK(weights == std::set<float>{-1.5f, -0.1f, 0.015f, 0.02f, 0.045f, 0.05f, 0.1f, 3.0f});
}

TEST_CASE("300_intfire: IntFire1 event by event reproduces the reference's 4 322 spikes", "[sonata][intfire1]") {
    // Reference: BMTK BioNet on NEURON (tests/data/sonata/300_intfire/output/spikes.h5): 4 322
    // spikes, 3 242 from type 100 and 1 080 from type 101. Its README expects exact agreement:
    // the same count for every node and every time within 1e-6 ms (times are sums of
    // 3-decimal input times and 2.0 ms delays, so exact event handling reproduces them).
    const Train ref = reference_train(data / "300_intfire/output/spikes.h5", "v1");
    const auto types = node_types(data / "300_intfire/network/v1_nodes.h5", "v1");
    REQUIRE(ref.size() == 4322);
    CHECK(per_type(ref, types) == std::map<std::int64_t, std::size_t>{{100, 3242}, {101, 1080}});
    const Train one = run_config(intfire, scratch("sonata_intfire_1"), "v1");
    const ExactComparison c = compare_exact(one, ref);
    WARN("300_intfire: " << c.ours << " spikes (reference " << c.reference << "), same per-node counts: "
                         << c.same_counts << ", largest time difference " << c.largest << " ms");
    CHECK(c.ours == 4322);
    CHECK(c.same_counts);
    CHECK(c.largest <= 1e-6);
    // Off the grid: most spike times are not multiples of dt = 0.1 ms.
    CHECK(std::count_if(one.begin(), one.end(), [](auto& s) { return std::abs(s.first * 10 - std::round(s.first * 10)) > 1e-6; }) > 4000);
    // 2 threads: bitwise the same file contents.
    const Train two = run_config(intfire, scratch("sonata_intfire_2"), "v1", {"simulation.threads=2"});
    CHECK(one == two);
}

TEST_CASE("SONATA runs: 1 and 2 threads give identical spikes", "[sonata]") {
    const Train one = run_config(pointneurons, scratch("sonata_threads_1"), "internal", {"simulation.t_stop=500 ms"});
    const Train two = run_config(pointneurons, scratch("sonata_threads_2"), "internal",
                                 {"simulation.t_stop=500 ms", "simulation.threads=2"});
    REQUIRE(one.size() > 1000);
    CHECK(one == two);
}

TEST_CASE("apical check and run on a SONATA config, with -o and --t-stop", "[sonata][cli]") {
    const fs::path out = scratch("sonata_cli");
    const CommandResult check = run_apical_capturing("check " + pointneurons.string(), 1);
    INFO(check.err);
    REQUIRE(check.exit_code == 0);
    CHECK(contains(check.err, "synapses: 48432"));
    const CommandResult run = run_apical("run " + pointneurons.string() + " -o " + out.string() + " --t-stop 100 --threads 2");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(contains(run.err, "NEST's default 1 ms"));  // the delay rule, logged at start-up
    CHECK(fs::exists(out / "spikes.h5"));
    CHECK(fs::exists(out / "membrane_potential.h5"));
    CHECK(read_spike_file(out / "spikes.h5").simulated_ms == 100.0);
}

TEST_CASE("SONATA templates map onto apical's models, with NEST's parameter names", "[sonata]") {
    // docs/sonata.md 4.2: nest:iaf_psc_delta, nest:iaf_psc_exp, nest:iaf_cond_exp (and
    // nest:iaf_psc_alpha, above) by their NEST names; onto iaf_cond_exp a negative weight is
    // the inhibitory conductance -w (NEST's rule). point_120cells' cortex_to_cortex type 101
    // has syn_weight -1.5 (its edge-types CSV).
    for (const std::string model : {"iaf_psc_delta", "iaf_psc_exp", "iaf_cond_exp", "iaf_psc_alpha"}) {
        INFO(model);
        const fs::path dir = scratch("sonata_template_" + model);
        const fs::path config = copy_point120(dir);
        std::ofstream(dir / "point_120cells/network/cortex_node_types.csv")
            << "node_type_id ei dynamics_params model_type model_template pop_name\n"
               "100 e iaf_psc_delta_exc.json point_neuron nest:" << model << " LIF_exc\n"
               "101 i iaf_psc_delta_inh.json point_process nest:" << model << " LIF_inh\n";
        std::ofstream(dir / "point_components/cell_models/iaf_psc_delta_exc.json") << "{\"C_m\": 200.0, \"t_ref\": 2.5}\n";
        std::ofstream(dir / "point_components/cell_models/iaf_psc_delta_inh.json") << "{\"C_m\": 200.0, \"t_ref\": 2.5}\n";
        NetworkSpec spec = load_sonata(config.string(), {"simulation.t_stop=50 ms", "simulation.output=" + (dir / "out").string()});
        CHECK(spec.populations[0].model == model);
        CHECK(spec.populations[0].parameters.at("C_m") == 200.0);
        CHECK(spec.populations[0].parameters.at("t_ref") == 2.5);
        CHECK(spec.populations[0].initial.at("V_m").value == -70.0);  // NEST's initial V_m
        LocalContext ctx;
        Simulation sim(spec, ctx);
        CHECK(sim.network().n_synapses() == 2661);
        if (model == "iaf_cond_exp") {
            std::size_t inhibitory = 0;
            for (auto& vp : sim.network().vps())
                for (auto& t : vp.tables())
                    if (t.receptor == 1) {
                        inhibitory += t.size();
                        for (float w : t.weight) CHECK(w == 1.5f);
                    }
            CHECK(inhibitory == 480);  // README: 480 edges of type 101
        }
        run_spec(spec);
        CHECK(fs::exists(dir / "out" / "spikes.h5"));
    }
}

TEST_CASE("node sets resolve group datasets and type columns; a group dataset too short is refused", "[sonata]") {
    // A copy of point_120cells whose cortex nodes get an integer group dataset `layer` = node % 3
    // (written here); the report's cells select {ei: "i", layer: 2}: the inhibitory nodes (type
    // 101 in cortex_node_types.csv, read from the nodes file here) whose node id % 3 == 2.
    const fs::path dir = scratch("sonata_node_set_attributes");
    const fs::path config = copy_point120(dir);
    const fs::path nodes_file = dir / "point_120cells/network/cortex_nodes.h5";
    const auto types = node_types(nodes_file, "cortex");
    const auto with_layer = [&](std::size_t rows) {
        h5::Handle f = h5::open_file(nodes_file, H5F_ACC_RDWR);
        if (h5::link_exists(f.get(), "nodes/cortex/0/layer"))
            REQUIRE(H5Ldelete(f.get(), "nodes/cortex/0/layer", H5P_DEFAULT) >= 0);
        std::vector<std::int32_t> layer(rows);
        for (std::size_t i = 0; i < rows; ++i) layer[i] = std::int32_t(i % 3);
        h5::Handle g = h5::open_group(f.get(), "nodes/cortex/0");
        h5::write_dataset<std::int32_t>(g.get(), "layer", H5T_STD_I32LE, layer);
    };
    {  // the report's cells: a node-set rule instead of a node list
        std::string text;
        {
            std::ifstream in(config);
            text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        const std::string list = "\"node_id\": [0, 20, 60, 80, 100]";
        REQUIRE(text.find(list) != std::string::npos);
        text.replace(text.find(list), list.size(), "\"ei\": \"i\", \"layer\": 2");
        std::ofstream(config) << text;
    }
    with_layer(120);
    NetworkSpec spec = load_sonata(config.string());
    REQUIRE(spec.state_recordings.size() == 1);
    std::vector<std::uint32_t> expected;
    for (std::uint32_t i = 0; i < 120; ++i)
        if (types[i] == 101 && i % 3 == 2) expected.push_back(i);
    REQUIRE_FALSE(expected.empty());
    CHECK(spec.state_recordings[0].nodes == expected);

    // A group dataset shorter than node_group_index asks for: exit 2 naming the dataset (the
    // row is that of the first node beyond 60 the rule asks about).
    with_layer(60);
    expect_bad(config, dir / "out", "cortex_nodes.h5", "/nodes/cortex/0/layer: row ");
    expect_bad(config, dir / "out", "cortex_nodes.h5", ", beyond its 60 rows");
}
