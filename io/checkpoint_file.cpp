#include "io/checkpoint_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include "core/error.hpp"
#include "io/description.hpp"
#include "io/units.hpp"
#include "io/run_metadata.hpp"

namespace fs = std::filesystem;

namespace apical {

std::string description_hash(const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

namespace {

// fsync(2) of a file or a directory (EINVAL: the file system has nothing to sync).
void sync_to_disk(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && (::fsync(fd) == 0 || errno == EINVAL);
    const int error = errno;
    if (fd >= 0) ::close(fd);
    if (!ok)
        throw UserError("apical: cannot write the checkpoint '" + path.string() +
                        "' to disk: " + std::generic_category().message(error));
}

// The group at `path` ("a/b/c") below loc, created with its parents as needed.
h5::Handle group_at(hid_t loc, const std::string& path) {
    h5::Handle g = h5::open_group(loc, "/");
    std::size_t at = 0;
    while (at < path.size()) {
        const std::size_t slash = path.find('/', at);
        const std::string part = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
        g = h5::link_exists(g.get(), part) ? h5::open_group(g.get(), part) : h5::create_group(g.get(), part);
        if (slash == std::string::npos) break;
        at = slash + 1;
    }
    return g;
}

// Chunks of at most 2^20 values (8 MiB).
constexpr hsize_t chunk_values = hsize_t(1) << 20;

// Decimals that write every multiple of dt exactly: those of dt's shortest text ("0.025": 3,
// "1e-05": 5, "2.5e-07": 8).
int decimals_of(double dt_ms) {
    const std::string text = format_number(dt_ms);
    const auto e = text.find('e');
    const std::string mantissa = text.substr(0, e);
    const auto point = mantissa.find('.');
    int decimals = point == std::string::npos ? 0 : int(mantissa.size() - point - 1);
    if (e != std::string::npos) decimals -= std::stoi(text.substr(e + 1));
    return std::clamp(decimals, 0, 17);
}

}  // namespace

CheckpointFileWriter::CheckpointFileWriter(const fs::path& path) : path_(path), tmp_(path.string() + ".tmp") {
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    try {
        file_ = h5::create_file(tmp_);
    } catch (const RuntimeFailure& e) {
        throw UserError(std::string("apical: cannot write the checkpoint: ") + e.what());
    }
}

CheckpointFileWriter::~CheckpointFileWriter() {
    if (committed_) return;
    file_.close_quietly();
    std::error_code ec;
    fs::remove(tmp_, ec);
}

void CheckpointFileWriter::write(const std::string& name, hid_t type, const void* data, std::size_t n,
                                 std::size_t columns) {
    const std::size_t slash = name.rfind('/');
    h5::Handle group = group_at(file_.get(), "state/" + name.substr(0, slash == std::string::npos ? 0 : slash));
    const std::string leaf = slash == std::string::npos ? name : name.substr(slash + 1);
    const hsize_t dims[1] = {hsize_t(n)};
    h5::Handle space(H5Screate_simple(1, dims, nullptr));
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (n > 0) {
        const hsize_t chunk[1] = {std::min<hsize_t>(n, chunk_values)};
        if (H5Pset_chunk(dcpl.get(), 1, chunk) < 0 || H5Pset_fletcher32(dcpl.get()) < 0)
            h5::fail("set up the checksum of", group.get(), leaf);
    }
    h5::Handle set(H5Dcreate2(group.get(), leaf.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
    if (!set.valid()) h5::fail("create", group.get(), leaf);
    if (n > 0 && H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) h5::fail("write", group.get(), leaf);
    h5::write_attribute(set.get(), "columns", std::uint64_t(columns));
    set.close();
}

void CheckpointFileWriter::reals(const std::string& name, std::span<const double> values, std::size_t columns) {
    write(name, H5T_NATIVE_DOUBLE, values.data(), values.size(), columns);
}

void CheckpointFileWriter::integers(const std::string& name, std::span<const std::int64_t> values,
                                    std::size_t columns) {
    write(name, H5T_NATIVE_INT64, values.data(), values.size(), columns);
}

void CheckpointFileWriter::commit(const CheckpointInfo& info) {
    const hid_t f = file_.get();
    h5::write_string_dataset(f, "description", info.description);
    {  // every object closed before the file, so that closing it writes everything
        h5::Handle spikes = group_at(f, "output/spikes");
        for (auto& [pop, count] : info.spike_counts) {
            h5::Handle g = h5::create_group(spikes.get(), pop);
            h5::write_attribute(g.get(), "count", count);
        }
        h5::Handle reports = group_at(f, "output/reports");
        for (auto& [file, frames] : info.report_frames) {
            h5::Handle g = h5::create_group(reports.get(), file);
            h5::write_attribute(g.get(), "frames", frames);
        }
        h5::Handle rates = group_at(f, "output/rates");
        for (auto& [name, r] : info.rates) {
            h5::Handle g = h5::create_group(rates.get(), name);
            h5::write_attribute(g.get(), "bins", r.bins);
            h5::write_attribute(g.get(), "open_start", std::int64_t(r.open.start));
            h5::write_attribute(g.get(), "open_events", r.open.events);
            h5::write_attribute(g.get(), "open_bursts", r.open.bursts);
        }
        h5::Handle weights = group_at(f, "output/weights");
        for (auto& [projection, mean] : info.weights_mean_start) {
            h5::Handle g = h5::create_group(weights.get(), projection);
            h5::write_attribute(g.get(), "mean_start", mean);
        }
        h5::Handle recordings = group_at(f, "output/weight_recordings");
        for (auto& [name, r] : info.weight_recordings) {
            h5::Handle g = h5::create_group(recordings.get(), name);
            h5::write_attribute(g.get(), "next", std::int64_t(r.next));
            h5::write_attribute(g.get(), "n_synapses", r.n_synapses);
            h5::write_dataset<double>(g.get(), "time", H5T_IEEE_F64LE, r.time);
            h5::write_dataset<double>(g.get(), "mean", H5T_IEEE_F64LE, r.mean);
            h5::write_dataset<double>(g.get(), "sum", H5T_IEEE_F64LE, r.sum);
            h5::write_dataset<std::uint32_t>(g.get(), "source", H5T_STD_U32LE, r.source);
            h5::write_dataset<std::uint32_t>(g.get(), "target", H5T_STD_U32LE, r.target);
            h5::write_dataset<float>(g.get(), "weight", H5T_IEEE_F32LE, r.weights);
        }
    }
    h5::write_attribute(f, "format", info.format);
    h5::write_attribute(f, "apical_version", info.apical_version);
    h5::write_attribute(f, "description_hash", info.description_hash);
    h5::write_attribute(f, "step", std::int64_t(info.step));
    h5::write_attribute(f, "t_ms", info.t_ms);
    h5::write_attribute(f, "dt_ms", info.dt_ms);
    h5::write_attribute(f, "ranks", std::int32_t(info.ranks));
    h5::write_attribute(f, "threads", std::int32_t(info.threads));
    h5::write_attribute(f, "output_dir", info.output_dir);
    h5::write_attribute(f, "complete", std::uint8_t{1});
    file_.close();
    // On disk before it gets its name, and the name on disk before we report it: a machine that
    // fails just after never leaves a named checkpoint that is incomplete.
    sync_to_disk(tmp_);
    std::error_code ec;
    fs::rename(tmp_, path_, ec);
    if (ec)
        throw UserError("apical: cannot rename the checkpoint '" + tmp_.string() + "' to '" + path_.string() +
                        "': " + ec.message());
    sync_to_disk(path_.parent_path().empty() ? fs::path(".") : path_.parent_path());
    committed_ = true;
    bytes_ = fs::file_size(path_, ec);
}

void CheckpointFileReader::corrupt(const std::string& detail) const {
    throw UserError("apical: checkpoint file '" + path_.string() + "' is corrupt or truncated (" + detail + ")");
}

CheckpointFileReader::CheckpointFileReader(const fs::path& path) : path_(path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw UserError("apical: no checkpoint file '" + path.string() + "'");
    h5::silence_error_printing();
    file_ = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file_.valid()) corrupt("HDF5 cannot open it: " + h5::last_error_reason());
    const hid_t f = file_.get();
    try {
        if (!h5::attribute_exists(f, "complete") || h5::read_attribute<std::uint8_t>(f, "complete") != 1)
            throw UserError("apical: checkpoint file '" + path.string() +
                            "' is incomplete (its writing did not finish)");
        info_.format = h5::read_attribute<std::uint32_t>(f, "format");
        if (info_.format != checkpoint_format)
            throw UserError("apical: checkpoint file '" + path.string() + "' has format version " +
                            std::to_string(info_.format) + "; this apical reads version " +
                            std::to_string(checkpoint_format));
        info_.apical_version = h5::read_string_attribute(f, "apical_version");
        if (info_.apical_version != APICAL_VERSION)
            throw UserError("apical: checkpoint file '" + path.string() + "' was written by apical " +
                            info_.apical_version + "; this is apical " + APICAL_VERSION +
                            " (resume with the version that wrote it)");
        info_.description = h5::read_string_dataset(f, "description");
        info_.description_hash = h5::read_string_attribute(f, "description_hash");
        if (description_hash(info_.description) != info_.description_hash)
            throw UserError("apical: checkpoint file '" + path.string() +
                            "' holds a description that does not match its hash (a different or altered description)");
        info_.step = step_t(h5::read_attribute<std::int64_t>(f, "step"));
        info_.t_ms = h5::read_attribute<double>(f, "t_ms");
        info_.dt_ms = h5::read_attribute<double>(f, "dt_ms");
        info_.ranks = h5::read_attribute<std::int32_t>(f, "ranks");
        info_.threads = h5::read_attribute<std::int32_t>(f, "threads");
        info_.output_dir = h5::read_string_attribute(f, "output_dir");
        h5::Handle spikes = h5::open_group(f, "output/spikes");
        for (const std::string& pop : h5::child_names(spikes.get())) {
            h5::Handle g = h5::open_group(spikes.get(), pop);
            info_.spike_counts[pop] = h5::read_attribute<std::uint64_t>(g.get(), "count");
        }
        h5::Handle reports = h5::open_group(f, "output/reports");
        for (const std::string& file : h5::child_names(reports.get())) {
            h5::Handle g = h5::open_group(reports.get(), file);
            info_.report_frames[file] = h5::read_attribute<std::uint64_t>(g.get(), "frames");
        }
        h5::Handle rates = h5::open_group(f, "output/rates");
        for (const std::string& name : h5::child_names(rates.get())) {
            h5::Handle g = h5::open_group(rates.get(), name);
            RatePosition& r = info_.rates[name];
            r.bins = h5::read_attribute<std::uint64_t>(g.get(), "bins");
            r.open.start = step_t(h5::read_attribute<std::int64_t>(g.get(), "open_start"));
            r.open.events = h5::read_attribute<std::uint64_t>(g.get(), "open_events");
            r.open.bursts = h5::read_attribute<std::uint64_t>(g.get(), "open_bursts");
        }
        h5::Handle weights = h5::open_group(f, "output/weights");
        for (const std::string& projection : h5::child_names(weights.get())) {
            h5::Handle g = h5::open_group(weights.get(), projection);
            info_.weights_mean_start[projection] = h5::read_attribute<double>(g.get(), "mean_start");
        }
        h5::Handle recordings = h5::open_group(f, "output/weight_recordings");
        for (const std::string& name : h5::child_names(recordings.get())) {
            h5::Handle g = h5::open_group(recordings.get(), name);
            WeightRecordingPosition& r = info_.weight_recordings[name];
            r.next = step_t(h5::read_attribute<std::int64_t>(g.get(), "next"));
            r.n_synapses = h5::read_attribute<std::uint64_t>(g.get(), "n_synapses");
            const auto read = [&](const char* set, auto& out) {
                out = h5::read_all<typename std::decay_t<decltype(out)>::value_type>(h5::open_dataset(g.get(), set).get());
            };
            read("time", r.time), read("mean", r.mean), read("sum", r.sum);
            read("source", r.source), read("target", r.target), read("weight", r.weights);
        }
    } catch (const UserError&) {
        throw;
    } catch (const std::exception& e) {
        corrupt(e.what());
    }
}

template <class T>
std::vector<T> CheckpointFileReader::read(const std::string& name, std::size_t expected) {
    std::vector<T> out;
    try {
        h5::Handle set = h5::open_dataset(file_.get(), "state/" + name);
        const auto shape = h5::shape(set.get());
        if (shape.size() != 1 || shape[0] != expected)
            throw UserError("apical: checkpoint file '" + path_.string() + "' does not fit the network: state/" + name +
                            " has " + std::to_string(shape.empty() ? 0 : shape[0]) + " values, the network needs " +
                            std::to_string(expected));
        out.resize(expected);
        if (expected > 0 && H5Dread(set.get(), h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
            corrupt("state/" + name + ": " + h5::last_error_reason());
    } catch (const UserError&) {
        throw;
    } catch (const std::exception& e) {
        corrupt(e.what());
    }
    return out;
}

std::vector<double> CheckpointFileReader::reals(const std::string& name, std::size_t expected) {
    return read<double>(name, expected);
}

std::vector<std::int64_t> CheckpointFileReader::integers(const std::string& name, std::size_t expected) {
    return read<std::int64_t>(name, expected);
}

std::size_t CheckpointFileReader::rows(const std::string& name) {
    try {
        h5::Handle set = h5::open_dataset(file_.get(), "state/" + name);
        const auto columns = h5::read_attribute<std::uint64_t>(set.get(), "columns");
        const auto shape = h5::shape(set.get());
        return columns == 0 || shape.empty() ? 0 : std::size_t(shape[0] / columns);
    } catch (const std::exception& e) {
        corrupt(e.what());
    }
}

// In fixed notation, to dt's decimals: "checkpoint_400000ms.h5", "checkpoint_3934103.3ms.h5"
// (not the shortest text of step * dt, which is "4e+05" or "3934103.3000000003").
fs::path checkpoint_path(const fs::path& dir, step_t step, double dt_ms) {
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", decimals_of(dt_ms), double(step) * dt_ms);
    std::string time = buf;
    if (time.find('.') != std::string::npos) {
        time.erase(time.find_last_not_of('0') + 1);
        if (time.back() == '.') time.pop_back();
    }
    return dir / "checkpoints" / ("checkpoint_" + time + "ms.h5");
}

CheckpointWritten write_checkpoint(Simulation& sim, DistributedContext& ctx, const OutputFiles& files,
                                   const fs::path& path) {
    const Checkpoint start = Checkpoint::now();
    std::unique_ptr<CheckpointFileWriter> writer;
    if (ctx.rank() == 0) writer = std::make_unique<CheckpointFileWriter>(path);
    save_state(sim, ctx, writer.get());
    CheckpointWritten out{path};
    if (writer) {
        const NetworkSpec& spec = sim.spec();
        CheckpointInfo info;
        info.apical_version = APICAL_VERSION;
        info.description = spec.resolved_yaml;
        info.description_hash = description_hash(info.description);
        info.step = sim.current_step();
        info.dt_ms = spec.simulation.dt_ms;
        info.t_ms = double(info.step) * info.dt_ms;
        info.ranks = ctx.size();
        info.threads = spec.simulation.threads;
        info.output_dir = fs::absolute(spec.simulation.output_dir).string();
        info.spike_counts = files.spike_counts();
        info.rates = files.rate_positions();
        info.report_frames = files.report_frames();
        info.weights_mean_start = files.weights_mean_start();
        info.weight_recordings = files.weight_recording_positions();
        writer->commit(info);
        out.bytes = writer->bytes();
    }
    out.seconds = ctx.max(start.seconds_since());
    return out;
}

NetworkSpec resume_spec(const CheckpointFileReader& reader, const fs::path& path, std::vector<std::string> overrides,
                        bool new_output) {
    if (!new_output) overrides.push_back("simulation.output=" + reader.info().output_dir);
    return parse_description(reader.info().description, (path.string() + ":description"), overrides);
}

OutputContinuation continuation_of(const CheckpointInfo& info) {
    return OutputContinuation{info.output_dir,   info.spike_counts,       info.rates,
                              info.report_frames, info.weights_mean_start, info.weight_recordings};
}

}  // namespace apical
