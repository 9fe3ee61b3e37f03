// Streams one state variable (membrane potential, a conductance, ...) of one population into
// a SONATA frame-oriented report file (docs/sonata.md 2.1), one value per node and frame:
//
//   /                                  attributes magic (uint32 0x0A7A), version (uint32 [0, 1])
//   /report/<pop>/data                 float32 [T, N], T unlimited, chunked (see below);
//                                      attributes units = <units>, variable = <variable>
//   /report/<pop>/mapping/node_ids     uint64 [N]: the node id of each column
//   /report/<pop>/mapping/index_pointers  uint64 [N+1] = 0, 1, ..., N (one column per node)
//   /report/<pop>/mapping/index_pointer   hard link to index_pointers (BMTK's spelling)
//   /report/<pop>/mapping/element_ids  uint32 [N], zeros (one value per point neuron)
//   /report/<pop>/mapping/time         float64 [3] = {start, stop, step}, attribute units = "ms"
//
// Row t of data is the frame at start + t * step; the interval [start, stop) is half-open.
//
// `time` always describes the frames that are in the file: while fewer frames than planned,
// ceil((stop - start) / step), have reached it (at creation, after each flush, and in a file
// left by a killed run or a run that stopped early) it holds {start, start + T * step, step};
// once the planned number is reached it holds the {start, stop, step} given to the
// constructor. (If more frames than planned are appended, it again holds
// {start, start + T * step, step}.) It is rewritten by flush() after the frames, so a killed
// writer may leave data with more rows than `time` describes, never fewer.
//
// Like SpikeWriter's file, this one is in SWMR write mode while the writer is open: readers
// must open it with H5F_ACC_SWMR_READ (h5py: File(path, "r", swmr=True)) and see every frame
// up to the last flush(); a killed run leaves a file that SWMR readers can open (`h5clear -s
// FILE` makes it openable by plain readers). After finish() or the destructor it is an
// ordinary HDF5 file in the 1.10 format.
//
// Chunks of data: at most 256 columns, the columns spread evenly over ceil(N / 256) chunk
// columns (N = 10,000: 40 chunk columns of 250), and as many frames as fill about 256 KiB
// (64 Ki float32 values), but no more than fit the write buffer (below) and no more than
// the planned number of frames (so short runs keep small files). Reading one node's whole
// trace reads T x (chunk columns) values and reading one frame (chunk frames) x N values,
// whatever the other chunk dimension, so narrow columns keep traces cheap and few frames
// per chunk keep frames cheap; 256 KiB chunks keep the number of chunks per read small and
// fit a reader's default 1 MiB chunk cache. For N = 10,000 chunks are 104 frames x 250
// columns: one frame reads 40 chunks (4 MiB), a trace of T = 10,000 frames 97 chunks
// (10 MiB), both 1% to 2.5% of the 400 MB of data.
//
// Memory and writes: frames are converted to float32 and buffered, at most buffer_frames()
// = a whole number of chunk rows (chunk frames x N values) of at most 4 MiB (at least one
// chunk row of one frame). Under SWMR, HDF5 1.10 passes every chunk write through its chunk
// cache, so a write that covers part of a chunk reads the chunk back and writes it whole
// (measured: 3.4x the data written plus 2x read for 104-frame writes into 262-frame
// chunks). Writes of whole chunk rows avoid that: the buffer is written when it reaches
// the next chunk-row boundary, so after a flush() that stopped inside a chunk row, the
// next write completes that row (one read-back) and later writes are aligned again
// (measured for N = 10,000 and 613 frames: 25.2 MB written for 24.5 MB of data, nothing
// read back; peak RSS of a writing process 20 MB whether the file holds 25 or 240 MB).
//
// With more than one rank (a Collective with a communicator) the file is written with
// parallel HDF5 over MPI-IO (io/parallel_hdf5.hpp): rank 0 creates the layout above with the
// serial driver, then every rank opens the file with the MPI-IO driver. Each rank is given
// the columns of the nodes it owns (local_columns, any ascending set: under the round-robin
// rule every R-th column) and full frames in which only those columns need to be valid; it
// buffers only its columns (so the buffer of a rank holds about 1/ranks of the 4 MiB), and
// all ranks write the same frames at the same moments (frame counts are the same on every
// rank). Before each buffer write the ranks redistribute the buffered frames with one
// personalised all-to-all (`AllToAll`, DistributedContext::all_to_all from
// io/output_files.cpp) so that
// rank r holds the contiguous block of columns [r N / R, (r + 1) N / R) of those frames;
// then a collective H5Dset_extent and one collective H5Dwrite in which each rank writes its
// block as one hyperslab (rows x contiguous columns). (Writing the owned columns directly
// is a selection of every R-th 4-byte column, about a million scattered pieces per buffer:
// the write phase of COBA recording 2 x 3200 columns every step for 100 ms took 4.2 s on 2
// ranks that way, 0.07 s with blocks; docs/architecture.md, Output.) The constructor exchanges once which columns
// of each block every rank owns. The buffer is kept grouped by destination rank
// ([rank][frame][column]), so it is sent as it is; the received blocks are transposed back
// into the buffer's memory (growing it to rows x block columns if that is larger), so a
// rank holds at most the buffer plus one received buffer of the same size.
// `time` is written by rank 0 in a collective write. The datasets hold the same values as
// the serial writer's for any number of ranks and threads. No SWMR with MPI-IO: flush()
// ends with a collective H5Fflush, and a killed multi-rank run leaves a file that plain
// readers open, with the frames up to the last flush and `time` describing them (as for the
// spike file, spike_writer.hpp). In parallel mode every call is collective (the constructor,
// append() when it writes, flush(), finish()).
//
// One thread per process (Debian's HDF5 is not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "io/hdf5.hpp"
#include "io/parallel_hdf5.hpp"

namespace apical {

// The frames a resumed run's report starts with (io/checkpoint_file.hpp): the first `frames`
// rows of data in the report file `from`.
struct ReportPrefix {
    std::filesystem::path from;
    std::size_t frames = 0;
};

class ReportWriter {
public:
    // Parallel mode: the ranks' personalised all-to-all of bytes, with the contract of
    // DistributedContext::all_to_all: send_counts[r] bytes of `send` (groups in rank order)
    // go to rank r; `received` gets every rank's group in rank order, received_counts[r]
    // bytes from rank r. Collective.
    using AllToAll = std::function<void(std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                                        std::vector<std::uint8_t>& received,
                                        std::vector<std::size_t>& received_counts)>;
    // Chunks of data hold at most this many values (256 KiB of float32)...
    static constexpr std::size_t chunk_values = 64 * 1024;
    // ...and at most this many columns.
    static constexpr std::size_t max_chunk_columns = 256;
    // Bytes of float32 frames buffered at most (unless one frame is larger).
    static constexpr std::size_t buffer_bytes = 4 * 1024 * 1024;

    struct ChunkShape {
        std::size_t frames;
        std::size_t columns;
    };
    // The chunk shape used for n_nodes columns and planned_frames frames (rule above).
    static ChunkShape chunk_shape(std::size_t n_nodes, std::size_t planned_frames);
    // The planned number of frames of [start, stop) with the given step:
    // ceil((stop - start) / step), ignoring a rounding error of the division.
    static std::size_t planned_frames(double start_ms, double stop_ms, double step_ms);

    // Creates (truncates) `path` with the layout above (data empty, time describing zero
    // frames unless none are planned), then switches the file to SWMR write mode. With a
    // `prefix` (a resumed run), data starts with the prefix's frames, copied by rank 0 while
    // it creates the layout (`time` describes them from the first flush on). Throws
    // UserError if the file cannot be created (bad output path), the population name cannot
    // be an HDF5 group name, node_ids is empty, or the times are not finite with step > 0
    // and stop >= start; RuntimeFailure if HDF5 fails later.
    ReportWriter(const std::filesystem::path& path, const std::string& population,
                 std::vector<std::uint64_t> node_ids, const std::string& variable,
                 const std::string& units, double start_ms, double stop_ms, double step_ms,
                 const h5::Collective& collective = {}, std::vector<std::size_t> local_columns = {},
                 AllToAll all_to_all = {}, const ReportPrefix* prefix = nullptr);
    // If finish() was not called: flushes and closes. Never throws.
    ~ReportWriter();
    ReportWriter(const ReportWriter&) = delete;
    ReportWriter& operator=(const ReportWriter&) = delete;

    // n_frames full frames, row-major [frame][node] with the nodes in the order of node_ids
    // (frames.size() == n_frames * N), converted to float32. Buffered; the buffer is written
    // whenever it is full. Parallel mode: only this rank's local columns are read.
    void append(std::span<const double> frames, std::size_t n_frames);
    // Writes the buffered frames, updates `time`, and flushes the file, so that a SWMR
    // reader, or the file left by a crash, sees every frame appended so far.
    void flush();
    // flush(), then closes the file. Idempotent: later calls do nothing.
    void finish();

    // Frames appended so far (in the file or still buffered).
    std::size_t frames_written() const { return frames_in_file_ + buffered_frames_; }
    // Frames held in memory, not yet in the file (always below buffer_frames()).
    std::size_t buffered_frames() const { return buffered_frames_; }
    // Capacity of the buffer in frames: the most chunk rows that fit buffer_bytes, at least
    // one. The buffer's memory grows up to that as frames come.
    std::size_t buffer_frames() const { return buffer_capacity_; }
    // The chunk shape of data (chunk_shape(N, planned frames)).
    ChunkShape chunk() const { return chunk_; }
    std::size_t n_nodes() const { return n_nodes_; }

private:
    void create_layout(const std::string& population, const std::vector<std::uint64_t>& ids,
                       const std::string& variable, const std::string& units);
    void create_then_open_parallel(const std::string& population, const std::vector<std::uint64_t>& ids,
                                   const std::string& variable, const std::string& units);
    std::size_t width() const { return collective_.parallel() ? local_columns_.size() : n_nodes_; }
    void plan_redistribution();
    void grow_grouped_buffer(std::size_t frames);
    void redistribute_buffer();
    void write_buffer();
    void write_time();
    void close_all();
    void copy_prefix();

    std::filesystem::path path_;
    std::size_t n_nodes_;
    double start_ms_, stop_ms_, step_ms_;
    std::size_t planned_;
    ChunkShape chunk_;
    std::size_t buffer_capacity_;      // frames, a multiple of chunk_.frames
    std::vector<float> buffer_;        // at most buffer_capacity_ * width() values (see below)
    std::size_t buffered_frames_ = 0;
    std::size_t frames_in_file_ = 0;   // rows of data
    std::size_t frames_in_time_ = 0;   // frames `time` describes
    h5::Handle file_, data_, time_;
    h5::Collective collective_;
    const ReportPrefix* prefix_ = nullptr;  // during construction only
    // Parallel mode.
    std::vector<std::size_t> local_columns_;  // the columns of this rank's nodes, ascending
    AllToAll all_to_all_;
    // buffer_ is grouped by destination: local_columns_[to_begin_[r] .. to_begin_[r + 1]) lie
    // in rank r's block, and their values of frame f are at
    // buffer_[group_frames_ * to_begin_[r] + f * (to_begin_[r + 1] - to_begin_[r]) + ...].
    std::vector<std::size_t> to_begin_;       // R + 1 values
    std::size_t group_frames_ = 0;            // frames each group has room for
    std::size_t block_first_ = 0, block_columns_ = 0;  // this rank's block of columns
    // The columns of this rank's block owned by rank r, as offsets in the block:
    // from_columns_[from_begin_[r] .. from_begin_[r + 1]), in rank r's (ascending) order.
    std::vector<std::uint32_t> from_columns_;
    std::vector<std::size_t> from_begin_;     // R + 1 values
    std::vector<std::uint8_t> received_;      // the last all-to-all's bytes
    h5::Handle transfer_;                     // collective transfers
    bool finished_ = false;
};

}  // namespace apical
