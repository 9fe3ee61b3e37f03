// SONATA frame-oriented report writer with SWMR streaming (see report_writer.hpp).
//
// As in spike_writer.cpp (HDF5 1.10.8): every group, attribute and fixed dataset is created
// before H5Fstart_swmr_write; under SWMR the writer only extends and writes `data` and
// overwrites the three values of `time` (raw data writes, which SWMR allows; `time` is a
// contiguous dataset, so the overwrite never touches metadata).
// With more than one rank: parallel HDF5 over MPI-IO (report_writer.hpp); rank 0 creates
// the layout with the serial driver exactly as below, so both paths give the same datasets,
// and every buffer write is an all-to-all that gives each rank a contiguous block of
// columns, written as one hyperslab.
#include "io/report_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <numeric>

#include "core/error.hpp"

namespace apical {

ReportWriter::ChunkShape ReportWriter::chunk_shape(std::size_t n_nodes,
                                                   std::size_t planned_frames) {
    const std::size_t n = std::max<std::size_t>(n_nodes, 1);
    const std::size_t chunk_cols = (n + max_chunk_columns - 1) / max_chunk_columns;
    const std::size_t columns = (n + chunk_cols - 1) / chunk_cols;  // spread evenly
    const std::size_t fit_buffer = buffer_bytes / (sizeof(float) * n);
    const std::size_t frames = std::clamp<std::size_t>(std::min(chunk_values / columns, fit_buffer),
                                                       1, std::max<std::size_t>(planned_frames, 1));
    return {frames, columns};
}

std::size_t ReportWriter::planned_frames(double start_ms, double stop_ms, double step_ms) {
    const double ratio = (stop_ms - start_ms) / step_ms;
    if (!(ratio > 0)) return 0;
    // 0.7 / 0.1 = 6.999999999999999 must give 7 and 1.1 / 0.1 = 11.000000000000002 must
    // give 11: drop a relative error of 1e-9 before rounding up.
    return static_cast<std::size_t>(std::ceil(ratio - 1e-9 * std::max(1.0, ratio)));
}

namespace {

void check_arguments(const std::filesystem::path& path, const std::string& population,
                     const std::vector<std::uint64_t>& ids, double start, double stop,
                     double step) {
    const std::string where = "report file '" + path.string() + "': ";
    if (population.empty() || population == "." || population.find('/') != std::string::npos)
        throw UserError(where + "population name '" + population +
                        "' cannot be used as an HDF5 group name");
    if (ids.empty()) throw UserError(where + "population '" + population + "' has no nodes");
    if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step) || step <= 0 ||
        stop < start)
        throw UserError(where + "times must be finite with step > 0 and stop >= start (start " +
                        std::to_string(start) + " ms, stop " + std::to_string(stop) +
                        " ms, step " + std::to_string(step) + " ms)");
}

}  // namespace

ReportWriter::ReportWriter(const std::filesystem::path& path, const std::string& population,
                           std::vector<std::uint64_t> node_ids, const std::string& variable,
                           const std::string& units, double start_ms, double stop_ms,
                           double step_ms, const h5::Collective& collective,
                           std::vector<std::size_t> local_columns, AllToAll all_to_all,
                           const ReportPrefix* prefix)
    : path_(path), n_nodes_(node_ids.size()), start_ms_(start_ms), stop_ms_(stop_ms),
      step_ms_(step_ms), collective_(collective), prefix_(prefix), local_columns_(std::move(local_columns)),
      all_to_all_(std::move(all_to_all)) {
    check_arguments(path, population, node_ids, start_ms, stop_ms, step_ms);
    planned_ = planned_frames(start_ms, stop_ms, step_ms);
    chunk_ = chunk_shape(n_nodes_, planned_);
    const std::size_t fit_buffer = buffer_bytes / (sizeof(float) * n_nodes_);
    buffer_capacity_ = chunk_.frames * std::max<std::size_t>(1, fit_buffer / chunk_.frames);
    if (collective_.parallel()) {
        APICAL_ASSERT(std::is_sorted(local_columns_.begin(), local_columns_.end()));
        APICAL_ASSERT(local_columns_.empty() || local_columns_.back() < n_nodes_);
        APICAL_ASSERT(all_to_all_ != nullptr);
        create_then_open_parallel(population, node_ids, variable, units);
        plan_redistribution();
    } else {
        file_ = h5::create_output_file(path, "report file");
        create_layout(population, node_ids, variable, units);
        h5::start_swmr_write(file_.get());
    }
    if (prefix_) frames_in_file_ = prefix_->frames;  // on every rank; `time` follows at the next flush
    prefix_ = nullptr;
}

// The prefix's frames, appended to the new data (serial HDF5, while the layout is created).
void ReportWriter::copy_prefix() {
    if (!prefix_ || prefix_->frames == 0) return;
    h5::Handle from = h5::open_file_for_reading(prefix_->from);
    h5::Handle report = h5::open_group(from.get(), "report");
    const std::vector<std::string> pops = h5::child_names(report.get());
    h5::Handle data = pops.size() == 1 ? h5::open_dataset(report.get(), pops[0] + "/data") : h5::Handle();
    const std::vector<hsize_t> shape = data.valid() ? h5::shape(data.get()) : std::vector<hsize_t>{};
    if (shape.size() != 2 || shape[1] != n_nodes_ || shape[0] < prefix_->frames)
        throw UserError("cannot resume: the report file '" + prefix_->from.string() + "' does not hold the " +
                        std::to_string(prefix_->frames) + " frames of " + std::to_string(n_nodes_) +
                        " nodes the checkpoint counts");
    std::vector<float> values(prefix_->frames * n_nodes_);
    h5::Handle space(H5Dget_space(data.get()));
    const hsize_t start[2] = {0, 0}, count[2] = {prefix_->frames, n_nodes_};
    h5::Handle memory(H5Screate_simple(2, count, nullptr));
    if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Dread(data.get(), H5T_NATIVE_FLOAT, memory.get(), space.get(), H5P_DEFAULT, values.data()) < 0)
        h5::fail("read", data.get(), "");
    h5::append_rows_2d(data_.get(), H5T_NATIVE_FLOAT, values.data(), prefix_->frames);
}

// Rank 0 creates the file and its layout with the serial driver and closes it; when that
// worked, every rank opens it with the MPI-IO driver.
void ReportWriter::create_then_open_parallel(const std::string& population,
                                             const std::vector<std::uint64_t>& ids,
                                             const std::string& variable, const std::string& units) {
    std::exception_ptr error;
    if (collective_.rank == 0) {
        try {
            const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
            if (!std::filesystem::is_directory(dir))
                throw UserError("cannot create report file '" + path_.string() + "': directory '" +
                                dir.string() + "' does not exist");
            try {
                file_ = h5::create_file(path_);
            } catch (const RuntimeFailure& e) {
                throw UserError(std::string("cannot write the report file: ") + e.what());
            }
            create_layout(population, ids, variable, units);
            close_all();
        } catch (...) {
            error = std::current_exception();
            data_.close_quietly();
            time_.close_quietly();
            file_.close_quietly();
        }
    }
    if (h5::any_failed(collective_, error != nullptr)) {
        if (error) std::rethrow_exception(error);
        throw PeerFailure();
    }
    file_ = h5::open_parallel_file(path_, collective_);
    h5::Handle pop = h5::open_group(file_.get(), "report/" + population);
    data_ = h5::open_dataset(pop.get(), "data");
    time_ = h5::open_dataset(pop.get(), "mapping/time");
    transfer_ = h5::collective_transfer();
}

// Rank r's block is columns [r N / R, (r + 1) N / R). Each rank tells every other which of
// its columns lie in that rank's block (one all-to-all), so the blocks can be put together
// from the buffers later without sending column numbers again.
void ReportWriter::plan_redistribution() {
    const std::size_t R = std::size_t(collective_.size), rank = std::size_t(collective_.rank);
    const auto block_begin = [&](std::size_t r) { return r * n_nodes_ / R; };
    block_first_ = block_begin(rank);
    block_columns_ = block_begin(rank + 1) - block_first_;
    APICAL_ASSERT(block_columns_ <= 0xffffffffu);
    to_begin_.assign(R + 1, 0);
    std::vector<std::uint32_t> offsets(local_columns_.size());  // in the destination's block
    std::size_t k = 0;
    for (std::size_t r = 0; r < R; ++r) {
        to_begin_[r] = k;
        for (; k < local_columns_.size() && local_columns_[k] < block_begin(r + 1); ++k)
            offsets[k] = std::uint32_t(local_columns_[k] - block_begin(r));
    }
    to_begin_[R] = k;
    std::vector<std::size_t> counts(R), received_counts;
    for (std::size_t r = 0; r < R; ++r) counts[r] = (to_begin_[r + 1] - to_begin_[r]) * sizeof(std::uint32_t);
    all_to_all_({reinterpret_cast<const std::uint8_t*>(offsets.data()), offsets.size() * sizeof(std::uint32_t)},
                counts, received_, received_counts);
    APICAL_ASSERT(received_counts.size() == R && received_.size() == block_columns_ * sizeof(std::uint32_t));
    from_columns_.resize(block_columns_);
    if (block_columns_ > 0) std::memcpy(from_columns_.data(), received_.data(), received_.size());
    from_begin_.assign(R + 1, 0);
    for (std::size_t r = 0; r < R; ++r) from_begin_[r + 1] = from_begin_[r] + received_counts[r] / sizeof(std::uint32_t);
    received_ = {};
}

ReportWriter::~ReportWriter() {
    if (finished_ || !file_.valid()) return;
    h5::flush_and_close_quietly([this] { flush(); }, [this] { close_all(); });
}

void ReportWriter::create_layout(const std::string& population,
                                 const std::vector<std::uint64_t>& ids,
                                 const std::string& variable, const std::string& units) {
    const hid_t f = file_.get();
    h5::write_attribute(f, "magic", std::uint32_t{0x0A7A});
    const std::uint32_t version[2] = {0, 1};
    h5::write_array_attribute(f, "version", std::span<const std::uint32_t>(version));

    h5::Handle report = h5::create_group(f, "report");
    h5::Handle pop = h5::create_group(report.get(), population);

    // The parallel writer needs chunks allocated as data grows (parallel_hdf5.hpp).
    const hsize_t columns[1] = {n_nodes_}, chunk[2] = {chunk_.frames, chunk_.columns};
    data_ = collective_.parallel()
                ? h5::create_growing_dataset(pop.get(), "data", H5T_IEEE_F32LE, columns, chunk)
                : h5::create_chunked_2d(pop.get(), "data", H5T_IEEE_F32LE, n_nodes_, chunk_.frames,
                                        chunk_.columns);
    h5::write_attribute(data_.get(), "units", units);
    h5::write_attribute(data_.get(), "variable", variable);
    copy_prefix();

    h5::Handle mapping = h5::create_group(pop.get(), "mapping");
    h5::write_dataset(mapping.get(), "node_ids", H5T_STD_U64LE,
                      std::span<const std::uint64_t>(ids));
    std::vector<std::uint64_t> pointers(n_nodes_ + 1);
    std::iota(pointers.begin(), pointers.end(), std::uint64_t{0});
    h5::write_dataset(mapping.get(), "index_pointers", H5T_STD_U64LE,
                      std::span<const std::uint64_t>(pointers));
    if (H5Lcreate_hard(mapping.get(), "index_pointers", mapping.get(), "index_pointer",
                       H5P_DEFAULT, H5P_DEFAULT) < 0)
        h5::fail("create the hard link", mapping.get(), "index_pointer");
    const std::vector<std::uint32_t> elements(n_nodes_, 0);
    h5::write_dataset(mapping.get(), "element_ids", H5T_STD_U32LE,
                      std::span<const std::uint32_t>(elements));
    const double time[3] = {start_ms_, planned_ == 0 ? stop_ms_ : start_ms_, step_ms_};
    time_ = h5::write_dataset(mapping.get(), "time", H5T_IEEE_F64LE,
                              std::span<const double>(time));
    h5::write_attribute(time_.get(), "units", "ms");
}

void ReportWriter::append(std::span<const double> frames, std::size_t n_frames) {
    APICAL_ASSERT(!finished_);
    APICAL_ASSERT(frames.size() == n_frames * n_nodes_);
    std::size_t done = 0;
    while (done < n_frames) {
        // The buffer is written when it reaches the next chunk-row boundary at most
        // buffer_capacity_ frames after the last write (see report_writer.hpp).
        const std::size_t write_at = buffer_capacity_ - frames_in_file_ % chunk_.frames;
        const std::size_t take = std::min(n_frames - done, write_at - buffered_frames_);
        const auto in = frames.subspan(done * n_nodes_, take * n_nodes_);
        if (!collective_.parallel()) {
            const std::size_t needed = (buffered_frames_ + take) * n_nodes_;
            if (buffer_.size() < needed) {
                // Grow geometrically, but never beyond the capacity (reserve allocates exactly).
                const std::size_t size =
                    std::min(buffer_capacity_ * n_nodes_, std::max(needed, 2 * buffer_.size()));
                buffer_.reserve(size);
                buffer_.resize(size);
            }
            std::transform(in.begin(), in.end(), buffer_.begin() + buffered_frames_ * n_nodes_,
                           [](double v) { return static_cast<float>(v); });
        } else {
            if (buffered_frames_ + take > group_frames_)
                grow_grouped_buffer(
                    std::min(buffer_capacity_, std::max(buffered_frames_ + take, 2 * group_frames_)));
            for (std::size_t r = 0; r + 1 < to_begin_.size(); ++r) {
                const std::size_t first = to_begin_[r], w = to_begin_[r + 1] - first;
                float* out = buffer_.data() + group_frames_ * first + buffered_frames_ * w;
                for (std::size_t f = 0; f < take; ++f, out += w)
                    for (std::size_t j = 0; j < w; ++j)
                        out[j] = static_cast<float>(in[f * n_nodes_ + local_columns_[first + j]]);
            }
        }
        buffered_frames_ += take;
        done += take;
        if (buffered_frames_ == write_at) write_buffer();
    }
}

// Parallel mode: room for `frames` frames in every destination group; the buffered frames
// move up to their groups' new places (from the last group down, so nothing is overwritten
// before it moved).
void ReportWriter::grow_grouped_buffer(std::size_t frames) {
    APICAL_ASSERT(frames >= group_frames_);
    const std::size_t size = frames * local_columns_.size();
    if (buffer_.size() < size) {
        buffer_.reserve(size);  // allocates exactly
        buffer_.resize(size);
    }
    for (std::size_t r = to_begin_.size() - 1; r-- > 0;) {
        const std::size_t first = to_begin_[r], w = to_begin_[r + 1] - first;
        if (w > 0 && buffered_frames_ > 0)
            std::memmove(buffer_.data() + frames * first, buffer_.data() + group_frames_ * first,
                         buffered_frames_ * w * sizeof(float));
    }
    group_frames_ = frames;
}

// Parallel mode: sends every rank the buffered values of the columns in its block and
// receives this rank's block, which replaces the buffer's contents as [frame][column of
// the block]. Collective.
void ReportWriter::redistribute_buffer() {
    const std::size_t rows = buffered_frames_, R = to_begin_.size() - 1;
    std::vector<std::size_t> counts(R), received_counts;
    for (std::size_t r = 0; r < R; ++r) {  // the groups, packed to `rows` frames (moving down)
        const std::size_t first = to_begin_[r], w = to_begin_[r + 1] - first;
        if (w > 0 && rows < group_frames_)
            std::memmove(buffer_.data() + rows * first, buffer_.data() + group_frames_ * first,
                         rows * w * sizeof(float));
        counts[r] = rows * w * sizeof(float);
    }
    all_to_all_({reinterpret_cast<const std::uint8_t*>(buffer_.data()), rows * local_columns_.size() * sizeof(float)},
                counts, received_, received_counts);
    APICAL_ASSERT(received_counts.size() == R && received_.size() == rows * block_columns_ * sizeof(float));
    const std::size_t size = rows * block_columns_;
    if (buffer_.size() < size) {
        buffer_.reserve(size);
        buffer_.resize(size);
    }
    const std::uint8_t* in = received_.data();
    for (std::size_t r = 0; r < R; ++r) {
        const std::uint32_t* columns = from_columns_.data() + from_begin_[r];
        const std::size_t w = from_begin_[r + 1] - from_begin_[r];
        APICAL_ASSERT(received_counts[r] == rows * w * sizeof(float));
        for (std::size_t f = 0; f < rows; ++f) {
            float* out = buffer_.data() + f * block_columns_;
            for (std::size_t j = 0; j < w; ++j, in += sizeof(float)) std::memcpy(out + columns[j], in, sizeof(float));
        }
    }
}

void ReportWriter::write_buffer() {
    if (buffered_frames_ == 0) return;  // the same on every rank
    if (collective_.parallel()) {
        const hsize_t dims[2] = {frames_in_file_ + buffered_frames_, n_nodes_};
        redistribute_buffer();
        h5::set_extent(data_.get(), dims);
        h5::write_block_2d(data_.get(), transfer_.get(), H5T_NATIVE_FLOAT, buffer_.data(), frames_in_file_,
                           buffered_frames_, block_first_, block_columns_);
    } else {
        h5::append_rows_2d(data_.get(), H5T_NATIVE_FLOAT, buffer_.data(), buffered_frames_);
    }
    frames_in_file_ += buffered_frames_;
    buffered_frames_ = 0;
}

// {start, stop, step} for the frames in the file (see report_writer.hpp).
void ReportWriter::write_time() {
    if (frames_in_file_ == frames_in_time_) return;
    const double stop = frames_in_file_ == planned_
                            ? stop_ms_
                            : start_ms_ + static_cast<double>(frames_in_file_) * step_ms_;
    const double time[3] = {start_ms_, stop, step_ms_};
    if (collective_.parallel())
        h5::overwrite_1d_from_root(time_.get(), transfer_.get(), H5T_NATIVE_DOUBLE, time, 3, collective_);
    else
        h5::overwrite_1d(time_.get(), H5T_NATIVE_DOUBLE, time, 3);
    frames_in_time_ = frames_in_file_;
}

void ReportWriter::flush() {
    if (finished_ || !file_.valid()) return;
    write_buffer();
    if (collective_.parallel()) {  // collective: no SWMR, the whole file is flushed
        if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) h5::fail("flush", file_.get(), "");
        const std::size_t described = frames_in_time_;
        write_time();
        if (frames_in_time_ != described && H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0)
            h5::fail("flush", file_.get(), "");
        return;
    }
    // The frames reach the file before `time` describes them.
    if (H5Dflush(data_.get()) < 0) h5::fail("flush", data_.get(), "");
    write_time();
    if (H5Dflush(time_.get()) < 0) h5::fail("flush", time_.get(), "");
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) h5::fail("flush", file_.get(), "");
}

void ReportWriter::finish() {
    if (finished_) return;
    flush();
    finished_ = true;
    close_all();
    buffer_ = {};
    received_ = {};
}

// Datasets first, then the file (which ends SWMR mode and writes the last metadata).
void ReportWriter::close_all() {
    data_.close();
    time_.close();
    transfer_.close_quietly();
    file_.close();
}

}  // namespace apical
