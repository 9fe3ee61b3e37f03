// Distributed reading of SONATA edges (docs/sonata.md 3.4): each rank asks the edge reader
// only for its own targets' edges, the ranks together hold every edge once, and a rank reads
// only its own targets' rows (a broken row of another rank's target never reaches it), with
// the target_to_source index and without it. Ranks are built here one at a time in one
// process (Network(spec, ranks, rank, threads)), which is what each rank of mpirun does.
#include <catch2/catch.hpp>

#include <filesystem>
#include <mutex>
#include <set>

#include "core/error.hpp"
#include "engine/network.hpp"
#include "io/hdf5.hpp"
#include "io/sonata.hpp"
#include "scratch.hpp"
#include "sonata_copies.hpp"

using namespace apical;
using apical::test::copy_point120;
using apical::test::scratch;
namespace fs = std::filesystem;

namespace {

const fs::path data = APICAL_SONATA_REFERENCE_DIR;

// Forwards to a projection's reader and keeps the target nodes it was asked for and the
// number of edges it handed on.
class RecordingEdges final : public EdgeSource {
public:
    explicit RecordingEdges(std::shared_ptr<const EdgeSource> inner) : inner_(std::move(inner)) {}
    void edges_onto(const std::vector<std::uint32_t>& targets, EdgeSink& sink) const override {
        struct Counting final : EdgeSink {
            EdgeSink& next;
            std::uint64_t n = 0;
            explicit Counting(EdgeSink& s) : next(s) {}
            void expect(std::uint64_t count) override { next.expect(count); }
            void take(const ExplicitEdge* e, std::size_t count) override {
                n += count;
                next.take(e, count);
            }
        } counting(sink);
        inner_->edges_onto(targets, counting);
        const std::lock_guard<std::mutex> lock(m_);
        asked.insert(asked.end(), targets.begin(), targets.end());
        returned += counting.n;
    }
    mutable std::vector<std::uint32_t> asked;
    mutable std::uint64_t returned = 0;

private:
    std::shared_ptr<const EdgeSource> inner_;
    mutable std::mutex m_;
};

int population_index(const NetworkSpec& spec, const std::string& name) {
    for (std::size_t p = 0; p < spec.populations.size(); ++p)
        if (spec.populations[p].name == name) return int(p);
    FAIL("no population " << name);
    return -1;
}

// The rank that owns node `node` of population `pop` with `ranks` x `threads` VPs.
int owner_rank(const NetworkSpec& spec, int pop, std::uint32_t node, int ranks, int threads) {
    gid_t first = 0;
    for (int p = 0; p < pop; ++p) first += gid_t(spec.populations[std::size_t(p)].size);
    return int((first + node) % gid_t(ranks * threads)) / threads;
}

}  // namespace

TEST_CASE("SONATA edges: each rank asks only for its own targets, and the ranks hold every edge once",
          "[sonata][distributed]") {
    // 300_pointneurons: 48,432 edges in two edge populations onto the 300 internal nodes
    // (its README).
    const auto [ranks, threads] = GENERATE(std::pair{2, 1}, std::pair{2, 2}, std::pair{3, 1});
    INFO(ranks << " ranks x " << threads << " threads");
    std::uint64_t total_returned = 0, total_synapses = 0;
    std::map<std::string, std::multiset<std::uint32_t>> asked_by_all;
    for (int rank = 0; rank < ranks; ++rank) {
        NetworkSpec spec = load_sonata((data / "300_pointneurons" / "config.json").string());
        std::vector<std::shared_ptr<RecordingEdges>> recorders;
        for (ProjectionSpec& p : spec.projections) {
            REQUIRE(p.rule == ConnectionRule::explicit_edges);
            recorders.push_back(std::make_shared<RecordingEdges>(p.edges));
            p.edges = recorders.back();
        }
        const Network net(spec, ranks, rank, threads);
        total_synapses += net.n_synapses();
        CHECK(net.edge_reading().edges == net.n_synapses());
        for (std::size_t k = 0; k < spec.projections.size(); ++k) {
            const ProjectionSpec& p = spec.projections[k];
            const int pt = population_index(spec, p.target);
            for (std::uint32_t t : recorders[k]->asked) {
                INFO("projection " << p.name << ", target node " << t);
                CHECK(owner_rank(spec, pt, t, ranks, threads) == rank);
                asked_by_all[p.name].insert(t);
            }
            total_returned += recorders[k]->returned;
        }
    }
    CHECK(total_returned == 48432);
    CHECK(total_synapses == 48432);
    // Every target node asked for exactly once over all ranks and threads.
    for (auto& [name, asked] : asked_by_all) {
        INFO("projection " << name);
        CHECK(asked.size() == 300);
        CHECK(std::set<std::uint32_t>(asked.begin(), asked.end()).size() == 300);
    }
}

TEST_CASE("SONATA edges: a rank reads only its own targets' rows, with and without the index",
          "[sonata][distributed]") {
    // point_120cells, 2 ranks x 1 thread. One edge onto a node of rank 1 gets a source id
    // outside its population: rank 0 builds (it never reads that row), rank 1 refuses it
    // naming the row. Without the target_to_source index a rank scans target_node_id whole
    // (hyperslabs of it), but reads every other dataset only at its own rows.
    const bool indexed = GENERATE(true, false);
    INFO((indexed ? "with" : "without") << " the index");
    const fs::path dir = scratch(indexed ? "sonata_own_rows_indexed" : "sonata_own_rows_scan");
    const fs::path config = copy_point120(dir);
    const fs::path edges = dir / "point_120cells/network/cortex_cortex_edges.h5";
    const std::string pop = "/edges/cortex_to_cortex";
    NetworkSpec spec = load_sonata(config.string());
    const int cortex = population_index(spec, "cortex");
    std::uint64_t row = 0;
    {
        h5::Handle f = h5::open_file(edges, H5F_ACC_RDWR);
        const auto targets = h5::read_all<std::uint64_t>(h5::open_dataset(f.get(), pop + "/target_node_id").get());
        while (row < targets.size() && owner_rank(spec, cortex, std::uint32_t(targets[row]), 2, 1) != 1) ++row;
        REQUIRE(row < targets.size());
        h5::Handle d = h5::open_dataset(f.get(), pop + "/source_node_id");
        h5::Handle space(H5Dget_space(d.get()));
        const hsize_t start = row, count = 1;
        REQUIRE(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) >= 0);
        h5::Handle mem(H5Screate_simple(1, &count, nullptr));
        const std::uint64_t outside = 1000;  // cortex has 120 nodes
        REQUIRE(H5Dwrite(d.get(), H5T_NATIVE_UINT64, mem.get(), space.get(), H5P_DEFAULT, &outside) >= 0);
        if (!indexed) REQUIRE(H5Ldelete(f.get(), (pop + "/indices").c_str(), H5P_DEFAULT) >= 0);
    }
    spec = load_sonata(config.string());
    CHECK_NOTHROW(Network(spec, 2, 0, 1));
    CHECK_THROWS_WITH(Network(spec, 2, 1, 1),
                      Catch::Contains(pop + "/source_node_id row " + std::to_string(row) + ": node id 1000 outside"));
}
