// Streams the spikes of a run into a SONATA spike file (spikes.h5), with the run's metadata
// and resolved description beside them under /apical:
//
//   /                          attributes magic (uint32 0x0A7A), version (uint32 [0, 1])
//   /spikes/<pop>              attribute sorting: enum over uint8 {none=0, by_id=1, by_time=2};
//                              apical's extra: n_neurons (uint64, the population's size)
//   /spikes/<pop>/timestamps   float64 [n], attribute units = "ms"
//   /spikes/<pop>/node_ids     uint64 [n], gid - first_gid of the population
//   /apical                    attributes: the RunMetadata fields (completed as uint8)
//   /apical/description        scalar string: the resolved description (YAML)
//   /apical/flushed_ms         float64 [1]: simulated time up to which the file holds every
//                              spike, rewritten at every flush (set_clock); 0 without a clock
//
// The file is in SWMR write mode while the run goes on: readers must open it with
// H5F_ACC_SWMR_READ (h5py: File(path, "r", swmr=True); apical's readers fall back to it by
// themselves), and a killed run leaves a file that SWMR readers can open, holding every
// spike up to the last flush(); `h5clear -s FILE` makes such a file openable by plain
// readers. After finish() it is an ordinary HDF5 file in the 1.10 format (which SWMR
// needs): readers must be linked with HDF5 >= 1.10, as current h5py, libsonata and
// BMTK installations are.
//
// With more than one rank (a Collective with a communicator) the file is written with
// parallel HDF5 over MPI-IO instead (io/parallel_hdf5.hpp): rank 0 creates the layout
// above with the serial driver, then every rank opens the file with the MPI-IO driver.
// Every rank gets the same global spike list of each slice (the allgather exchange, or the
// allgather of recorded populations besides a directed exchange), so every rank computes
// the same position in the file for every spike. A population's buffer of buffer_spikes
// positions is split into `ranks` contiguous shares; each rank keeps the spikes that fall
// into its share, and when the buffer (the same count on every rank) is full or at a
// flush, all ranks extend the datasets together (collective H5Dset_extent) and each writes
// its share as one contiguous hyperslab in one collective H5Dwrite. (decision) Shares by
// position rather than by neuron: each rank writes one contiguous block instead of
// thousands of scattered elements, which cost 0.77 s of a 1.8 s 2-rank Brunel run with
// point selections.
// The datasets hold the same values in the same order as the serial writer's, whatever the
// number of ranks and threads. SWMR does not exist with the MPI-IO driver in HDF5 1.10, so
// flush() is a collective H5Fflush: a multi-rank run killed with SIGKILL leaves a file that
// plain readers open (measured with 2 ranks) and that holds every spike up to the last
// flush, with completed = 0 (HDF5 promises nothing for metadata it wrote after that flush;
// `h5clear -s FILE` helps if a reader reports the file as still open for writing). finish() closes
// the file on all ranks, then rank 0 reopens it serially to write the final metadata.
// In parallel mode every call (constructor, append, flush, finish, destructor) is
// collective: all ranks make the same calls with the same spikes.
// /apical/writer says which writer wrote the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/spike.hpp"
#include "io/hdf5.hpp"
#include "io/parallel_hdf5.hpp"

namespace apical {

// The gids [first_gid, first_gid + size) of one population.
struct PopulationRange {
    std::string name;
    gid_t first_gid;
    std::uint64_t size;
};

struct RunMetadata {            // written as attributes of the group /apical
    std::string version;        // apical version
    std::uint32_t seed = 0;
    double dt_ms = 0, t_stop_ms = 0;
    int ranks = 1, threads = 1;
    std::uint64_t n_neurons = 0, n_synapses = 0, synapse_bytes = 0;
    double build_s = 0, simulate_s = 0;
    std::uint64_t peak_rss_bytes = 0;
    // Memory per rank, the largest over ranks: resident memory before the description was
    // read (libraries, MPI, HDF5), what building the network added to the peak, and the
    // network's data structures (synapse tables, neuron state, ring buffers).
    std::uint64_t baseline_rss_bytes = 0, construction_bytes = 0, network_bytes = 0;
    std::string resolved_description;  // YAML text, stored as dataset /apical/description
    double simulated_ms = 0;           // how far the run got
    bool completed = false;            // false if stopped by a signal or an error
    std::string decomposition;         // the rule that maps neurons to ranks x threads
    // How spike_class was computed (the description's simulation.spike_classification, in
    // words); written as the `rule` attribute of every spike_class dataset.
    std::string spike_class_rule = "trace (docs/models.md 3.2), tau 16 ms, threshold 1/e";
    // Built-in phase timers (s, summed over slices; deliver and update: the slowest thread
    // of the slowest rank in each slice).
    double timer_deliver_s = 0, timer_update_s = 0, timer_exchange_s = 0, timer_write_s = 0;
    // Spike exchange: the mode (simulation.spike_exchange), the number of exchanges (slices)
    // and the spike bytes the rank that sent most sent over the run (headers and padding
    // included; data an allgather sends to R - 1 ranks counted R - 1 times).
    std::string spike_exchange = "allgather";
    std::uint64_t exchanges = 0, exchange_bytes_sent = 0;
    // Checkpoints written by this run (apical run --checkpoint-every / --checkpoint-on-signal),
    // the time spent writing them (the slowest rank) and the size of the last one.
    std::uint64_t checkpoints = 0;
    double checkpoint_write_s = 0;
    std::uint64_t checkpoint_bytes = 0;
};

// The spikes a resumed run's file starts with (io/checkpoint_file.hpp): the first
// counts[pop] spikes of each population of the spike file `from`.
struct SpikePrefix {
    std::filesystem::path from;
    std::map<std::string, std::uint64_t> counts;
};

class SpikeWriter {
public:
    // Elements per HDF5 chunk (128 KiB of float64). Each dataset that holds data occupies
    // at least one chunk on disk, so small chunks keep small runs' files small.
    static constexpr std::size_t chunk_elements = 16 * 1024;
    // The most spikes buffered per population: a full buffer is written in one call of
    // 512 KiB per dataset (several chunks), which suits parallel file systems.
    static constexpr std::size_t buffer_spikes = 64 * 1024;

    // Creates (truncates) `path`; creates /spikes/<pop>/{timestamps,node_ids} for every
    // recorded population (even if it never spikes), the root attributes, and /apical with
    // the description dataset and every metadata attribute at its start value; then switches
    // the file to SWMR write mode. Throws UserError if the file cannot be created (bad
    // output path) or a population name cannot be an HDF5 group name.
    // With a parallel `collective` (more than one rank): the MPI-IO writer described above;
    // a UserError on rank 0 is thrown there and PeerFailure on the other ranks.
    // With a `prefix` (a resumed run), each population's datasets start with the prefix's
    // spikes, copied by rank 0 while it creates the layout; appending goes on after them.
    SpikeWriter(const std::filesystem::path& path, std::vector<PopulationRange> recorded,
                double dt_ms, const RunMetadata& at_start, const h5::Collective& collective = {},
                const SpikePrefix* prefix = nullptr);
    // If finish() was not called: flushes and closes (the /apical attributes keep their
    // start values, so completed = 0). Never throws.
    ~SpikeWriter();
    SpikeWriter(const SpikeWriter&) = delete;
    SpikeWriter& operator=(const SpikeWriter&) = delete;

    // The spikes of one slice, sorted by (step, gid), all populations mixed; slices come in
    // time order. Spikes of populations that are not recorded are ignored. Buffers in
    // memory; a population's buffer is written when it reaches buffer_spikes.
    void append(std::span<const Spike> spikes, std::span<const std::uint8_t> classes = {});
    // Writes every buffered spike and flushes the file, so that a reader, or the file left
    // by a crash, sees everything appended so far; then, if a clock is set, writes its time
    // into /apical/flushed_ms and flushes that.
    void flush();
    // The simulated time (ms) up to which every spike has been appended when flush() is
    // called (io/output_files.cpp: the simulation's current step); the same on every rank.
    void set_clock(std::function<double()> now_ms) { clock_ = std::move(now_ms); }
    // flush(), closes the file, reopens it normally and overwrites the /apical attributes
    // with `final_meta` (the description dataset stays as written at the start).
    // Idempotent: later calls do nothing.
    void finish(const RunMetadata& final_meta);

    // Per recorded population: the spikes appended so far (in the file after flush()); the
    // same on every rank.
    std::map<std::string, std::uint64_t> counts() const;
    // Spikes held in memory by this rank, over all populations (below buffer_spikes per
    // population).
    std::size_t buffered() const;
    // What /apical/writer says: "serial HDF5 (SWMR)" or "parallel HDF5 over MPI-IO (N ranks)".
    std::string writer_name() const;

private:
    struct Stream;  // one recorded population: its datasets and its buffers

    void create_layout(const RunMetadata& at_start);
    void copy_prefix(Stream& s);
    void create_then_open_parallel(const RunMetadata& at_start);
    Stream* stream_of(gid_t gid);
    void append_in_time_order(std::span<const Spike> spikes, std::span<const std::uint8_t> classes);
    void write_buffers(Stream& s);
    bool in_my_share(std::size_t buffer_index) const;
    void close_all();
    bool write_flushed_ms();  // false without a clock

    std::filesystem::path path_;
    double dt_ms_;
    std::vector<Stream> streams_;  // sorted by first_gid
    h5::Handle file_;
    h5::Handle flushed_ms_;  // /apical/flushed_ms
    std::function<double()> clock_;
    h5::Collective collective_;
    const SpikePrefix* prefix_ = nullptr;  // during construction only
    h5::Handle transfer_;                  // parallel mode: collective transfers
    bool finished_ = false;
    double last_time_ms_ = -1e300;  // time of the last spike appended, to check the order
};

}  // namespace apical
