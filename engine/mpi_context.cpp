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

MpiContext::MpiContext(MPI_Comm comm, std::size_t initial_capacity) : comm_(comm), capacity_(initial_capacity) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
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
    bytes_sent_ += block * sizeof(Spike);

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
        bytes_sent_ += local.size() * sizeof(Spike);
        capacity_ = largest + largest / 2;
    }
    // Each rank's list is sorted; merging them is a sort of a nearly sorted array.
    std::sort(global.begin(), global.end());
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
