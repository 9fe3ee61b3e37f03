#include "synapses/connection_rules.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "core/random.hpp"

namespace apical {

namespace {

// Sub-stream numbers inside a projection's connectivity purpose.
constexpr std::uint32_t sub_per_target = 0;     // id = target gid
constexpr std::uint32_t sub_per_source = 1;     // id = source gid (fixed_outdegree)
constexpr std::uint32_t sub_total_counts = 2;   // id = 0 (fixed_total_number split)


}  // namespace

ConnectionGenerator::ConnectionGenerator(const Connectivity& spec, int projection_index,
                                         std::uint32_t seed, std::uint32_t n_sources,
                                         gid_t source_first_gid, std::uint32_t n_targets,
                                         gid_t target_first_gid,
                                         const std::vector<std::uint32_t>& target_nodes)
    : spec_(spec), seed_(seed), purpose_(purpose(Purpose::connectivity, std::uint32_t(projection_index))),
      n_sources_(n_sources), target_first_(target_first_gid),
      same_population_(source_first_gid == target_first_gid),
      target_nodes_(target_nodes) {
    const bool no_self = same_population_ && !spec.allow_autapses;
    switch (spec.rule) {
    case ConnectionRule::fixed_indegree: {
        const std::uint64_t available = n_sources - (no_self ? 1 : 0);
        APICAL_ASSERT(spec.degree == 0 || available > 0);
        APICAL_ASSERT(spec.allow_multapses || spec.degree <= available);
        if (!spec.allow_multapses) taken_.assign(n_sources, 0);
        break;
    }
    case ConnectionRule::fixed_total_number: {
        APICAL_ASSERT(spec.degree == 0 || n_sources - (no_self ? 1 : 0) > 0);
        // Every VP splits N over all targets in the same sequence (binomial splitting:
        // count_t ~ Binomial(remaining, 1/(targets left))), and keeps its own targets' counts.
        RandomStream rng(seed, purpose_, 0, sub_total_counts);
        total_counts_.assign(target_nodes.size(), 0);
        std::uint64_t remaining = spec.degree;
        std::size_t next_local = 0;
        for (std::uint32_t t = 0; t < n_targets && remaining > 0; ++t) {
            const std::uint64_t c =
                t + 1 == n_targets ? remaining : rng.binomial(remaining, 1.0 / double(n_targets - t));
            remaining -= c;
            if (next_local < target_nodes.size() && target_nodes[next_local] == t)
                total_counts_[next_local++] = c;
        }
        break;
    }
    case ConnectionRule::fixed_outdegree: {
        const std::uint64_t available = n_targets - (no_self ? 1 : 0);
        APICAL_ASSERT(spec.degree == 0 || available > 0);
        APICAL_ASSERT(spec.allow_multapses || spec.degree <= available);
        std::vector<std::int64_t> local_of(n_targets, -1);
        for (std::size_t i = 0; i < target_nodes.size(); ++i) local_of[target_nodes[i]] = std::int64_t(i);
        std::vector<std::uint8_t> chosen(spec.allow_multapses ? 0 : n_targets, 0);
        std::vector<std::uint32_t> drawn;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> kept;  // (local target, source)
        for (std::uint32_t s = 0; s < n_sources; ++s) {
            RandomStream rng(seed, purpose_, source_first_gid + s, sub_per_source);
            drawn.clear();
            while (drawn.size() < spec.degree) {
                const auto t = std::uint32_t(rng.uniform_int(n_targets));
                if (no_self && t == s) continue;
                if (!spec.allow_multapses) {
                    if (chosen[t]) continue;
                    chosen[t] = 1;
                }
                drawn.push_back(t);
            }
            for (std::uint32_t t : drawn) {
                if (!spec.allow_multapses) chosen[t] = 0;
                if (local_of[t] >= 0) kept.emplace_back(std::uint32_t(local_of[t]), s);
            }
        }
        // Counting sort by local target; sources stay ascending (construction order).
        out_offsets_.assign(target_nodes.size() + 1, 0);
        for (auto& [t, s] : kept) ++out_offsets_[t + 1];
        for (std::size_t i = 0; i < target_nodes.size(); ++i) out_offsets_[i + 1] += out_offsets_[i];
        out_sources_.resize(kept.size());
        std::vector<std::uint32_t> fill(out_offsets_.begin(), out_offsets_.end() - 1);
        for (auto& [t, s] : kept) out_sources_[fill[t]++] = s;
        break;
    }
    case ConnectionRule::one_to_one:
        APICAL_ASSERT(n_sources == n_targets);
        break;
    default: break;
    }
}

void ConnectionGenerator::sources(std::size_t local, std::vector<std::uint32_t>& out) {
    const std::uint32_t node = target_nodes_[local];
    const bool no_self = same_population_ && !spec_.allow_autapses;
    RandomStream rng(seed_, purpose_, target_first_ + node, sub_per_target);
    switch (spec_.rule) {
    case ConnectionRule::all_to_all:
        for (std::uint32_t s = 0; s < n_sources_; ++s)
            if (!(no_self && s == node)) out.push_back(s);
        break;
    case ConnectionRule::one_to_one:
        if (!no_self) out.push_back(node);
        break;
    case ConnectionRule::pairwise_bernoulli: {
        if (spec_.p <= 0.0) break;
        if (spec_.p >= 1.0) {
            for (std::uint32_t s = 0; s < n_sources_; ++s)
                if (!(no_self && s == node)) out.push_back(s);
            break;
        }
        // Skip over the failures: the gap to the next success is geometric.
        const double log1m_p = std::log1p(-spec_.p);
        for (std::uint64_t s = rng.geometric_skip(log1m_p); s < n_sources_;
             s += 1 + rng.geometric_skip(log1m_p))
            if (!(no_self && s == node)) out.push_back(std::uint32_t(s));
        break;
    }
    case ConnectionRule::fixed_indegree: {
        const std::size_t begin = out.size();
        while (out.size() - begin < spec_.degree) {
            const auto s = std::uint32_t(rng.uniform_int(n_sources_));
            if (no_self && s == node) continue;
            if (!spec_.allow_multapses) {
                if (taken_[s]) continue;
                taken_[s] = 1;
            }
            out.push_back(s);
        }
        if (!spec_.allow_multapses)
            for (std::size_t k = begin; k < out.size(); ++k) taken_[out[k]] = 0;
        break;
    }
    case ConnectionRule::fixed_total_number: {
        for (std::uint64_t c = 0; c < total_counts_[local];) {
            const auto s = std::uint32_t(rng.uniform_int(n_sources_));
            if (no_self && s == node) continue;
            out.push_back(s);
            ++c;
        }
        break;
    }
    case ConnectionRule::fixed_outdegree:
        out.insert(out.end(), out_sources_.begin() + out_offsets_[local],
                   out_sources_.begin() + out_offsets_[local + 1]);
        break;
    case ConnectionRule::explicit_edges:
        // The network builder reads listed edges from their EdgeSource, not through here.
        throw std::logic_error("ConnectionGenerator: explicit_edges has no generated sources");
    }
}

}  // namespace apical
