#include "engine/mpi_context.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace apical {

namespace {

// The header of a block: one Spike slot whose step field holds the rank's spike count.
constexpr std::size_t header_slots = 1;

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI call failed: ") + what);
}

}  // namespace

namespace {
// Variables that MPI launchers set in every rank's environment.
bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS",
                          "HYDRA_CONTROL_FD"})
        if (std::getenv(v)) return true;
    return false;
}
}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) : active_(launched_by_mpi()) {
    if (!active_) return;
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
}

MpiSession::~MpiSession() {
    if (active_) MPI_Finalize();
}

void MpiSession::abort_all(int code) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (initialised) MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
}

MpiContext::MpiContext(MPI_Comm comm, std::size_t initial_capacity)
    : comm_(comm), initial_capacity_(initial_capacity), capacity_(initial_capacity),
      directed_capacity_(initial_capacity) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
}

void MpiContext::adapt_capacity(std::size_t largest, std::size_t& capacity, LoadWindow& window) const {
    window.largest = std::max(window.largest, largest);
    if (++window.slices < shrink_window) return;
    const std::size_t wanted = std::max(initial_capacity_, window.largest + window.largest / 2);
    if (2 * wanted <= capacity) capacity = wanted;
    window = {};
}

void MpiContext::gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) {
    const std::size_t block = header_slots + capacity_;
    send_.assign(block, Spike{0, 0, 0.0f});
    send_[0].step = step_t(local.size());
    std::copy_n(local.begin(), std::min(local.size(), capacity_), send_.begin() + header_slots);
    recv_.resize(block * std::size_t(size_));
    check(MPI_Allgather(send_.data(), int(block * sizeof(Spike)), MPI_BYTE, recv_.data(),
                        int(block * sizeof(Spike)), MPI_BYTE, comm_),
          "MPI_Allgather (spikes)");
    bytes_sent_ += block * sizeof(Spike) * std::uint64_t(size_ - 1);

    std::vector<int> counts(static_cast<std::size_t>(size_));
    std::size_t largest = 0, total = 0;
    for (int r = 0; r < size_; ++r) {
        counts[std::size_t(r)] = int(recv_[std::size_t(r) * block].step);
        largest = std::max(largest, std::size_t(counts[std::size_t(r)]));
        total += std::size_t(counts[std::size_t(r)]);
    }
    global.clear();
    global.reserve(total);
    if (largest <= capacity_) {
        for (int r = 0; r < size_; ++r) {
            const Spike* first = recv_.data() + std::size_t(r) * block + header_slots;
            global.insert(global.end(), first, first + counts[std::size_t(r)]);
        }
    } else {
        // Overflow: every rank saw the counts, so every rank takes this branch together.
        ++overflows_;
        std::vector<int> bytes(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
        int offset = 0;
        for (int r = 0; r < size_; ++r) {
            bytes[std::size_t(r)] = counts[std::size_t(r)] * int(sizeof(Spike));
            displs[std::size_t(r)] = offset;
            offset += bytes[std::size_t(r)];
        }
        global.resize(total);
        check(MPI_Allgatherv(local.data(), int(local.size() * sizeof(Spike)), MPI_BYTE, global.data(),
                             bytes.data(), displs.data(), MPI_BYTE, comm_),
              "MPI_Allgatherv (spikes)");
        bytes_sent_ += local.size() * sizeof(Spike) * std::uint64_t(size_ - 1);
        capacity_ = largest + largest / 2;
    }
    adapt_capacity(largest, capacity_, window_);
    // Each rank's list is sorted; merging them is a sort of a nearly sorted array.
    std::sort(global.begin(), global.end());
}

void MpiContext::exchange_spikes(std::span<const Spike> send, std::span<const std::size_t> send_counts,
                                 std::vector<Spike>& received) {
    const std::size_t R = std::size_t(size_), me = std::size_t(rank_);
    if (send_counts.size() != R) throw std::logic_error("exchange_spikes: one count per rank expected");
    std::vector<std::size_t> first(R + 1, 0);
    for (std::size_t r = 0; r < R; ++r) first[r + 1] = first[r] + send_counts[r];
    if (first[R] > send.size()) throw std::logic_error("exchange_spikes: counts exceed the spikes");
    std::size_t mine_largest = 0;  // to other ranks
    for (std::size_t r = 0; r < R; ++r)
        if (r != me) mine_largest = std::max(mine_largest, send_counts[r]);
    if (mine_largest > 0xffffffffu) throw std::runtime_error("exchange_spikes: more than 2^32 spikes for one rank");

    const std::size_t cap = directed_capacity_, block = header_slots + cap;
    send_.assign(block * R, Spike{0, 0, 0.0f});
    for (std::size_t r = 0; r < R; ++r) {
        Spike* b = send_.data() + r * block;
        b[0].step = step_t(send_counts[r]);
        b[0].gid = gid_t(mine_largest);
        if (r != me) std::copy_n(send.begin() + std::ptrdiff_t(first[r]), std::min(send_counts[r], cap), b + header_slots);
    }
    recv_.resize(block * R);
    check(MPI_Alltoall(send_.data(), int(block * sizeof(Spike)), MPI_BYTE, recv_.data(), int(block * sizeof(Spike)),
                       MPI_BYTE, comm_),
          "MPI_Alltoall (spikes)");
    bytes_sent_ += block * sizeof(Spike) * (R - 1);

    std::vector<std::size_t> counts(R);
    std::size_t largest = 0, total = 0;
    for (std::size_t r = 0; r < R; ++r) {
        counts[r] = r == me ? send_counts[me] : std::size_t(recv_[r * block].step);
        largest = std::max(largest, std::size_t(recv_[r * block].gid));
        total += counts[r];
    }
    received.clear();
    received.reserve(total);
    for (std::size_t r = 0; r < R; ++r) {
        if (r == me) {
            received.insert(received.end(), send.begin() + std::ptrdiff_t(first[me]),
                            send.begin() + std::ptrdiff_t(first[me + 1]));
        } else {
            const Spike* b = recv_.data() + r * block + header_slots;
            received.insert(received.end(), b, b + std::min(counts[r], cap));
        }
    }
    if (largest > cap) {
        // Overflow somewhere: every rank saw every sender's largest count, so all take this
        // branch together; the rest of each overflowing group follows in one Alltoallv.
        ++directed_overflows_;
        std::vector<int> sc(R, 0), sd(R, 0), rc(R, 0), rd(R, 0);
        int soff = 0, roff = 0;
        for (std::size_t r = 0; r < R; ++r) {
            if (r == me) continue;
            sc[r] = int(send_counts[r] > cap ? (send_counts[r] - cap) * sizeof(Spike) : 0);
            rc[r] = int(counts[r] > cap ? (counts[r] - cap) * sizeof(Spike) : 0);
        }
        // The send side reads straight from `send` (each rest starts at first[r] + cap).
        for (std::size_t r = 0; r < R; ++r) {
            sd[r] = int((first[r] + std::min(send_counts[r], cap)) * sizeof(Spike));
            rd[r] = roff;
            roff += rc[r];
            soff += sc[r];
        }
        const std::size_t before = received.size();
        received.resize(before + std::size_t(roff) / sizeof(Spike));
        check(MPI_Alltoallv(send.data(), sc.data(), sd.data(), MPI_BYTE, received.data() + before, rc.data(),
                            rd.data(), MPI_BYTE, comm_),
              "MPI_Alltoallv (spikes)");
        bytes_sent_ += std::uint64_t(soff);
        directed_capacity_ = largest + largest / 2;
    }
    adapt_capacity(largest, directed_capacity_, directed_window_);
    // Every group is sorted; merging them is a sort of a nearly sorted array.
    std::sort(received.begin(), received.end());
}

void MpiContext::all_to_all(std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                            std::vector<std::uint8_t>& received, std::vector<std::size_t>& received_counts) {
    const std::size_t R = std::size_t(size_);
    if (send_counts.size() != R) throw std::logic_error("all_to_all: one count per rank expected");
    std::vector<long long> sc(send_counts.begin(), send_counts.end()), rc(R);
    check(MPI_Alltoall(sc.data(), 1, MPI_LONG_LONG, rc.data(), 1, MPI_LONG_LONG, comm_), "MPI_Alltoall (counts)");
    std::vector<int> si(R), sd(R), ri(R), rd(R);
    long long soff = 0, roff = 0;
    for (std::size_t r = 0; r < R; ++r) {
        if (soff + sc[r] > 0x7fffffff || roff + rc[r] > 0x7fffffff)
            throw std::runtime_error("all_to_all: more than 2 GiB");
        si[r] = int(sc[r]);
        sd[r] = int(soff);
        ri[r] = int(rc[r]);
        rd[r] = int(roff);
        soff += sc[r];
        roff += rc[r];
    }
    if (std::size_t(soff) > send.size()) throw std::logic_error("all_to_all: counts exceed the data");
    received.resize(std::size_t(roff));
    check(MPI_Alltoallv(send.data(), si.data(), sd.data(), MPI_BYTE, received.data(), ri.data(), rd.data(), MPI_BYTE,
                        comm_),
          "MPI_Alltoallv (bytes)");
    received_counts.assign(rc.begin(), rc.end());
}

int MpiContext::ranks_on_node() {
    if (ranks_on_node_ == 0) {
        MPI_Comm node;
        check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
              "MPI_Comm_split_type (ranks on the node)");
        MPI_Comm_size(node, &ranks_on_node_);
        MPI_Comm_free(&node);
    }
    return ranks_on_node_;
}

bool MpiContext::any(bool flag) {
    int in = flag ? 1 : 0, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce (any)");
    return out != 0;
}

std::uint64_t MpiContext::sum(std::uint64_t x) {
    std::uint64_t out = 0;
    check(MPI_Allreduce(&x, &out, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce (sum)");
    return out;
}

void MpiContext::sum_to_root(std::span<double> values) {
    if (size_ == 1 || values.empty()) return;
    check(MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : values.data(), values.data(), int(values.size()), MPI_DOUBLE,
                     MPI_SUM, 0, comm_),
          "MPI_Reduce (state samples)");
}

double MpiContext::max(double x) {
    double out = 0;
    check(MPI_Allreduce(&x, &out, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce (max)");
    return out;
}

}  // namespace apical
