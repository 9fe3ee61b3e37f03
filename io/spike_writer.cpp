// SONATA spike file writer with SWMR streaming (see spike_writer.hpp).
//
// Why the file is built the way it is (HDF5 1.10.8, measured):
// - Under SWMR the library lets a writer create attributes, groups and datasets (the calls
//   succeed), but HDF5 documents these as unsupported while SWMR readers may be attached.
//   So everything except the growing datasets is created before H5Fstart_swmr_write:
//   every /apical attribute gets its start value then (completed = 0, so a killed run says
//   so), and finish() overwrites them after reopening the file without SWMR.
// - H5Fstart_swmr_write needs the 1.10 file format and no open attributes.
// - While the writer runs, and after it was killed, the superblock marks the file as open
//   for SWMR writing: plain read-only opens fail ("file is already open for write"),
//   H5F_ACC_SWMR_READ opens succeed and see everything up to the last flush.
// With more than one rank: parallel HDF5 over MPI-IO (spike_writer.hpp, parallel_hdf5.hpp).
// The layout is created by rank 0 with the serial driver because parallel HDF5 1.10 cannot
// write the variable-length string dataset /apical/description; everything else the
// parallel path does is the same as the serial path, so both write the same datasets.
#include "io/spike_writer.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include "core/error.hpp"

namespace apical {

struct SpikeWriter::Stream {
    PopulationRange range;
    h5::Handle timestamps;
    h5::Handle node_ids;
    std::vector<double> times_ms;        // buffered, not yet written
    std::vector<std::uint64_t> ids;      // node ids, parallel to times_ms
    h5::Handle spike_class;              // apical's extra: event / burst / other, aligned
    std::vector<std::uint8_t> classes;
    // Spikes of this population appended since the last write, over all ranks (the same
    // number on every rank), and elements in the file.
    std::size_t pending = 0;
    hsize_t in_file = 0;
    // Parallel mode: the buffer index (0 .. pending) of the first spike of this rank's share.
    std::size_t share_first = 0;
};

namespace {

// SONATA's sorting enum, as libsonata defines it.
const h5::EnumMember sorting_members[] = {{"none", 0}, {"by_id", 1}, {"by_time", 2}};
constexpr std::uint8_t sorting_by_time = 2;
// spike_class value of spikes appended without classes.
constexpr std::uint8_t unclassified = 255;

// Population names become HDF5 group names; ranges must not overlap.
void check_populations(const std::vector<PopulationRange>& sorted) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const PopulationRange& p = sorted[i];
        if (p.name.empty() || p.name == "." || p.name.find('/') != std::string::npos)
            throw UserError("population name '" + p.name +
                            "' cannot be used as an HDF5 group name in the spike file");
        if (!names.insert(p.name).second)
            throw UserError("population '" + p.name + "' is recorded twice");
        APICAL_ASSERT(p.first_gid + p.size <= (std::uint64_t{1} << 32));
        if (i > 0) APICAL_ASSERT(sorted[i - 1].first_gid + sorted[i - 1].size <= p.first_gid);
    }
}

// Every RunMetadata field except the description, as attributes of /apical.
void write_run_metadata(hid_t group, const RunMetadata& m, const std::string& writer) {
    h5::write_attribute(group, "version", m.version);
    h5::write_attribute(group, "seed", m.seed);
    h5::write_attribute(group, "dt_ms", m.dt_ms);
    h5::write_attribute(group, "t_stop_ms", m.t_stop_ms);
    h5::write_attribute(group, "ranks", static_cast<std::int32_t>(m.ranks));
    h5::write_attribute(group, "threads", static_cast<std::int32_t>(m.threads));
    h5::write_attribute(group, "n_neurons", m.n_neurons);
    h5::write_attribute(group, "n_synapses", m.n_synapses);
    h5::write_attribute(group, "synapse_bytes", m.synapse_bytes);
    h5::write_attribute(group, "build_s", m.build_s);
    h5::write_attribute(group, "simulate_s", m.simulate_s);
    h5::write_attribute(group, "peak_rss_bytes", m.peak_rss_bytes);
    h5::write_attribute(group, "baseline_rss_bytes", m.baseline_rss_bytes);
    h5::write_attribute(group, "construction_bytes", m.construction_bytes);
    h5::write_attribute(group, "network_bytes", m.network_bytes);
    h5::write_attribute(group, "simulated_ms", m.simulated_ms);
    h5::write_attribute(group, "completed", static_cast<std::uint8_t>(m.completed ? 1 : 0));
    h5::write_attribute(group, "decomposition", m.decomposition);
    h5::write_attribute(group, "timer_deliver_s", m.timer_deliver_s);
    h5::write_attribute(group, "timer_update_s", m.timer_update_s);
    h5::write_attribute(group, "timer_exchange_s", m.timer_exchange_s);
    h5::write_attribute(group, "timer_write_s", m.timer_write_s);
    h5::write_attribute(group, "spike_exchange", m.spike_exchange);
    h5::write_attribute(group, "exchanges", m.exchanges);
    h5::write_attribute(group, "exchange_bytes_sent", m.exchange_bytes_sent);
    h5::write_attribute(group, "checkpoints", m.checkpoints);
    h5::write_attribute(group, "checkpoint_write_s", m.checkpoint_write_s);
    h5::write_attribute(group, "checkpoint_bytes", m.checkpoint_bytes);
    h5::write_attribute(group, "writer", writer);
}

// Order of spike times: (step, offset). The input is in canonical order (grid step, gid, time;
// core/spike.hpp), which is the same order unless spikes off the grid share a step.
bool earlier(const Spike& a, const Spike& b) {
    return a.step < b.step || (a.step == b.step && a.offset < b.offset);
}

}  // namespace

SpikeWriter::SpikeWriter(const std::filesystem::path& path, std::vector<PopulationRange> recorded,
                         double dt_ms, const RunMetadata& at_start, const h5::Collective& collective,
                         const SpikePrefix* prefix)
    : path_(path), dt_ms_(dt_ms), collective_(collective), prefix_(prefix) {
    APICAL_ASSERT(dt_ms > 0);
    std::sort(recorded.begin(), recorded.end(),
              [](const auto& a, const auto& b) { return a.first_gid < b.first_gid; });
    check_populations(recorded);
    for (PopulationRange& r : recorded) {
        streams_.emplace_back();
        streams_.back().range = std::move(r);
        if (prefix) {
            const auto it = prefix->counts.find(streams_.back().range.name);
            streams_.back().in_file = it == prefix->counts.end() ? 0 : it->second;
        }
    }
    if (collective_.parallel()) {
        create_then_open_parallel(at_start);
    } else {
        file_ = h5::create_output_file(path, "spike file");
        create_layout(at_start);
        h5::start_swmr_write(file_.get());
    }
    prefix_ = nullptr;
}

// The first in_file spikes of the population in the prefix's file, appended to the new
// datasets (serial HDF5, while the layout is created).
void SpikeWriter::copy_prefix(Stream& s) {
    if (s.in_file == 0) return;
    h5::Handle from = h5::open_file_for_reading(prefix_->from);
    h5::Handle group = h5::open_group(from.get(), "spikes/" + s.range.name);
    auto copy = [&]<class T>(const char* name, const h5::Handle& to, T) {
        std::vector<T> values = h5::read_all<T>(h5::open_dataset(group.get(), name).get());
        if (values.size() < s.in_file)
            throw UserError("cannot resume: the spike file '" + prefix_->from.string() + "' holds " +
                            std::to_string(values.size()) + " spikes of population '" + s.range.name +
                            "', the checkpoint counts " + std::to_string(s.in_file));
        values.resize(s.in_file);
        h5::append(to.get(), std::span<const T>(values));
    };
    copy("timestamps", s.timestamps, double{});
    copy("node_ids", s.node_ids, std::uint64_t{});
    copy("spike_class", s.spike_class, std::uint8_t{});
}

std::map<std::string, std::uint64_t> SpikeWriter::counts() const {
    std::map<std::string, std::uint64_t> out;
    for (const Stream& s : streams_) out[s.range.name] = s.in_file + s.pending;
    return out;
}

// Rank 0 creates the file and its layout with the serial driver (see top of file) and closes
// it; when that worked on rank 0, every rank opens it with the MPI-IO driver.
void SpikeWriter::create_then_open_parallel(const RunMetadata& at_start) {
    std::exception_ptr error;
    if (collective_.rank == 0) {
        try {
            const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
            if (!std::filesystem::is_directory(dir))
                throw UserError("cannot create spike file '" + path_.string() + "': directory '" +
                                dir.string() + "' does not exist");
            try {
                file_ = h5::create_file(path_);
            } catch (const RuntimeFailure& e) {
                throw UserError(std::string("cannot write the spike file: ") + e.what());
            }
            create_layout(at_start);
            close_all();
        } catch (...) {
            error = std::current_exception();
            for (Stream& s : streams_) {
                s.timestamps.close_quietly();
                s.node_ids.close_quietly();
                s.spike_class.close_quietly();
            }
            flushed_ms_.close_quietly();
            file_.close_quietly();
        }
    }
    if (h5::any_failed(collective_, error != nullptr)) {
        if (error) std::rethrow_exception(error);
        throw PeerFailure();
    }
    file_ = h5::open_parallel_file(path_, collective_);
    h5::Handle spikes = h5::open_group(file_.get(), "spikes");
    for (Stream& s : streams_) {
        h5::Handle group = h5::open_group(spikes.get(), s.range.name);
        s.timestamps = h5::open_dataset(group.get(), "timestamps");
        s.node_ids = h5::open_dataset(group.get(), "node_ids");
        s.spike_class = h5::open_dataset(group.get(), "spike_class");
    }
    h5::Handle apical = h5::open_group(file_.get(), "apical");
    flushed_ms_ = h5::open_dataset(apical.get(), "flushed_ms");
    transfer_ = h5::collective_transfer();
}

std::string SpikeWriter::writer_name() const {
    return collective_.parallel()
               ? "parallel HDF5 over MPI-IO (" + std::to_string(collective_.size) + " ranks, collective writes)"
               : "serial HDF5 (SWMR)";
}

SpikeWriter::~SpikeWriter() {
    if (finished_ || !file_.valid()) return;
    h5::flush_and_close_quietly([this] { flush(); }, [this] { close_all(); });
}

// Everything that is not a growing dataset, created before SWMR starts (see top of file).
void SpikeWriter::create_layout(const RunMetadata& at_start) {
    const hid_t f = file_.get();
    h5::write_attribute(f, "magic", std::uint32_t{0x0A7A});
    const std::uint32_t version[2] = {0, 1};
    h5::write_array_attribute(f, "version", std::span<const std::uint32_t>(version));

    h5::Handle spikes = h5::create_group(f, "spikes");
    for (Stream& s : streams_) {
        h5::Handle group = h5::create_group(spikes.get(), s.range.name);
        h5::write_enum_attribute(group.get(), "sorting", sorting_members, sorting_by_time);
        // apical's extra (SONATA readers ignore it): the population's size, which the
        // node ids alone do not give (neurons that never spike); rates need it.
        h5::write_attribute(group.get(), "n_neurons", std::uint64_t{s.range.size});
        // The parallel writer needs chunks allocated as the datasets grow (parallel_hdf5.hpp).
        auto growing = [&](const char* name, hid_t type) {
            const hsize_t chunk[1] = {chunk_elements};
            return collective_.parallel() ? h5::create_growing_dataset(group.get(), name, type, {}, chunk)
                                          : h5::create_chunked_1d(group.get(), name, type, chunk_elements);
        };
        s.timestamps = growing("timestamps", H5T_IEEE_F64LE);
        h5::write_attribute(s.timestamps.get(), "units", "ms");
        s.node_ids = growing("node_ids", H5T_STD_U64LE);
        // Beside the SONATA datasets (readers ignore it): the class of each spike.
        s.spike_class = growing("spike_class", H5T_STD_U8LE);
        h5::write_attribute(s.spike_class.get(), "values",
                            "0 event (isolated or first spike of a burst), 1 burst (second spike of a burst), "
                            "2 other (later spikes of a burst), 255 unclassified");
        h5::write_attribute(s.spike_class.get(), "rule", at_start.spike_class_rule);
        if (prefix_) copy_prefix(s);
    }

    h5::Handle apical = h5::create_group(f, "apical");
    write_run_metadata(apical.get(), at_start, writer_name());
    h5::write_string_dataset(apical.get(), "description", at_start.resolved_description);
    // Rewritten at every flush (a raw data write, allowed under SWMR, unlike attributes), so
    // that a killed run's file says how far its spikes are complete.
    const double zero = 0;
    flushed_ms_ = h5::write_1d_dataset(apical.get(), "flushed_ms", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &zero, 1);
    h5::write_attribute(flushed_ms_.get(), "units", "ms");
    h5::write_attribute(flushed_ms_.get(), "definition",
                        "the file holds every spike up to this simulated time (rewritten at every flush)");
}

// The recorded population holding `gid`, or nullptr.
SpikeWriter::Stream* SpikeWriter::stream_of(gid_t gid) {
    auto after = std::upper_bound(streams_.begin(), streams_.end(), gid,
                                  [](gid_t g, const Stream& s) { return g < s.range.first_gid; });
    if (after == streams_.begin()) return nullptr;
    Stream& s = *std::prev(after);
    return gid - s.range.first_gid < s.range.size ? &s : nullptr;
}

void SpikeWriter::append(std::span<const Spike> spikes, std::span<const std::uint8_t> classes) {
    APICAL_ASSERT(!finished_);
    APICAL_ASSERT(classes.empty() || classes.size() == spikes.size());
    if (std::is_sorted(spikes.begin(), spikes.end(), earlier)) {
        append_in_time_order(spikes, classes);
        return;
    }
    // Offsets inside a step out of gid order: reorder by time so that sorting = by_time
    // holds (stable, so equal times keep gid order), and the classes with them.
    std::vector<std::size_t> order(spikes.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return earlier(spikes[a], spikes[b]); });
    std::vector<Spike> by_time;
    std::vector<std::uint8_t> classes_by_time;
    for (std::size_t k : order) {
        by_time.push_back(spikes[k]);
        if (!classes.empty()) classes_by_time.push_back(classes[k]);
    }
    append_in_time_order(by_time, classes_by_time);
}

void SpikeWriter::append_in_time_order(std::span<const Spike> spikes, std::span<const std::uint8_t> classes) {
    for (std::size_t k = 0; k < spikes.size(); ++k) {
        const Spike& sp = spikes[k];
        const double t = (static_cast<double>(sp.step) + static_cast<double>(sp.offset)) * dt_ms_;
        APICAL_ASSERT(t >= last_time_ms_);  // slices must come in time order
        last_time_ms_ = t;
        Stream* s = stream_of(sp.gid);
        if (s == nullptr) continue;
        // Parallel mode: every rank counts every spike (so all agree on positions and on when
        // to write) and keeps those of its share of the buffer.
        if (!collective_.parallel() || in_my_share(s->pending)) {
            if (s->times_ms.empty()) s->share_first = s->pending;
            s->times_ms.push_back(t);
            s->ids.push_back(sp.gid - s->range.first_gid);
            s->classes.push_back(classes.empty() ? unclassified : classes[k]);
        }
        if (++s->pending >= buffer_spikes) write_buffers(*s);
    }
}

// Rank r's share of a buffer: indices [r B / R, (r + 1) B / R) of B = buffer_spikes.
bool SpikeWriter::in_my_share(std::size_t buffer_index) const {
    return buffer_index * std::size_t(collective_.size) / buffer_spikes == std::size_t(collective_.rank);
}

void SpikeWriter::write_buffers(Stream& s) {
    if (!collective_.parallel()) {
        h5::append(s.timestamps.get(), std::span<const double>(s.times_ms));
        h5::append(s.node_ids.get(), std::span<const std::uint64_t>(s.ids));
        h5::append(s.spike_class.get(), std::span<const std::uint8_t>(s.classes));
    } else if (s.pending > 0) {  // the same decision on every rank
        const hsize_t size[1] = {s.in_file + s.pending};
        const hid_t x = transfer_.get();
        for (hid_t d : {s.timestamps.get(), s.node_ids.get(), s.spike_class.get()}) h5::set_extent(d, size);
        const hsize_t first = s.in_file + s.share_first, n = s.times_ms.size();
        h5::write_range_1d(s.timestamps.get(), x, H5T_NATIVE_DOUBLE, s.times_ms.data(), first, n);
        h5::write_range_1d(s.node_ids.get(), x, H5T_NATIVE_UINT64, s.ids.data(), first, n);
        h5::write_range_1d(s.spike_class.get(), x, H5T_NATIVE_UINT8, s.classes.data(), first, n);
    }
    s.in_file += s.pending;
    s.pending = 0;
    s.times_ms.clear();
    s.ids.clear();
    s.classes.clear();
}

void SpikeWriter::flush() {
    if (finished_ || !file_.valid()) return;
    if (collective_.parallel()) {  // collective: no SWMR, the whole file is flushed
        for (Stream& s : streams_) write_buffers(s);
        if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) h5::fail("flush", file_.get(), "");
        if (write_flushed_ms() && H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) h5::fail("flush", file_.get(), "");
        return;
    }
    for (Stream& s : streams_) {
        write_buffers(s);
        if (H5Dflush(s.timestamps.get()) < 0) h5::fail("flush", s.timestamps.get(), "");
        if (H5Dflush(s.node_ids.get()) < 0) h5::fail("flush", s.node_ids.get(), "");
        if (H5Dflush(s.spike_class.get()) < 0) h5::fail("flush", s.spike_class.get(), "");
    }
    // The spikes reach the file before flushed_ms says they are there.
    if (write_flushed_ms() && H5Dflush(flushed_ms_.get()) < 0) h5::fail("flush", flushed_ms_.get(), "");
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) h5::fail("flush", file_.get(), "");
}

bool SpikeWriter::write_flushed_ms() {
    if (!clock_) return false;
    const double t = clock_();  // the same on every rank
    if (collective_.parallel())
        h5::overwrite_1d_from_root(flushed_ms_.get(), transfer_.get(), H5T_NATIVE_DOUBLE, &t, 1, collective_);
    else
        h5::overwrite_1d(flushed_ms_.get(), H5T_NATIVE_DOUBLE, &t, 1);
    return true;
}

void SpikeWriter::finish(const RunMetadata& final_meta) {
    if (finished_) return;
    flush();
    close_all();
    finished_ = true;
    transfer_.close_quietly();
    // Reopened without SWMR (by rank 0 alone, once every rank has closed the parallel file),
    // attributes can be written safely (see top of file).
    h5::barrier(collective_);
    std::exception_ptr error;
    if (collective_.rank == 0) {
        try {
            h5::Handle file = h5::open_file(path_, H5F_ACC_RDWR);
            h5::Handle apical = h5::open_group(file.get(), "apical");
            write_run_metadata(apical.get(), final_meta, writer_name());
            apical.close();
            file.close();
        } catch (...) {
            error = std::current_exception();
        }
    }
    // When finish() returns on any rank, the file is complete.
    if (h5::any_failed(collective_, error != nullptr)) {
        if (error) std::rethrow_exception(error);
        throw PeerFailure();
    }
}

std::size_t SpikeWriter::buffered() const {
    std::size_t n = 0;
    for (const Stream& s : streams_) n += s.times_ms.size();
    return n;
}

// Closes datasets first, then the file, reporting errors: closing the file ends SWMR mode
// and writes the last metadata (collective in parallel mode).
void SpikeWriter::close_all() {
    for (Stream& s : streams_) {
        s.timestamps.close();
        s.node_ids.close();
        s.spike_class.close();
    }
    flushed_ms_.close();
    file_.close();
}

}  // namespace apical
