#include "io/output_files.hpp"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "io/parallel_hdf5.hpp"
#include "io/population_rate_writer.hpp"
#include "io/report_writer.hpp"
#include "io/weight_writer.hpp"
#include "neurons/model_info.hpp"

namespace fs = std::filesystem;

namespace apical {

namespace {

// The file of one variable of a state recording, inside the output directory.
std::string report_file(const StateRecordingSpec& r, const std::string& variable) {
    return r.file_name.empty() ? r.name + "_" + variable + ".h5" : r.file_name;
}

}  // namespace

namespace {

// A path in a message, at most 200 characters of it (the message is one line).
std::string quote_path(const fs::path& p) {
    const std::string s = p.string();
    return "\"" + (s.size() <= 200 ? s : s.substr(0, 100) + "..." + s.substr(s.size() - 97)) + "\"";
}

}  // namespace

void check_output_dir(const NetworkSpec& spec) {
    const auto& w = spec.simulation.output_where;
    fs::path dir = spec.simulation.output_dir;
    auto fail = [&](const std::string& found) {
        throw DescriptionError(spec.file, w.line, w.column,
                               w.key_path.empty() ? "simulation.output" : w.key_path,
                               "a writable output directory", found);
    };
    std::error_code ec;
    fs::path p = fs::absolute(dir, ec);
    while (!p.empty() && !fs::exists(p, ec)) p = p.parent_path();
    if (!fs::is_directory(p, ec)) fail(quote_path(p) + ", which is not a directory");
    if (access(p.c_str(), W_OK | X_OK) != 0) fail(quote_path(p) + ", which is not writable");
    // Every file the run will write: one that is there must be a writable regular file (a
    // directory or a dangling link there made HDF5 fail after spikes.h5 was written).
    std::vector<std::string> names = {"spikes.h5"};
    for (auto& r : spec.state_recordings)
        for (int v : r.variables)
            for (auto& pop : spec.populations)
                if (pop.name == r.population)
                    names.push_back(report_file(r, pop.info->state[std::size_t(v)].name));
    for (auto& r : spec.population_rates) names.push_back(r.name + ".h5");
    for (auto& name : names) {
        const fs::path file = fs::absolute(dir, ec) / name;
        if (name.size() > NAME_MAX || file.string().size() >= PATH_MAX)
            fail(quote_path(file) + ", a path too long for this system");
        const fs::file_status link = fs::symlink_status(file, ec);
        if (!fs::exists(link)) continue;
        const fs::file_status target = fs::status(file, ec);
        if (!fs::exists(target)) fail(quote_path(file) + ", a symbolic link to nothing");
        if (fs::is_directory(target)) fail(quote_path(file) + ", a directory");
        if (!fs::is_regular_file(target)) fail(quote_path(file) + ", which is not a regular file");
        if (access(file.c_str(), W_OK) != 0) fail(quote_path(file) + ", which is not writable");
    }
}

namespace {

// Adapts the HDF5 writer to the kernel's recorder interface.
class SpikeFileRecorder final : public SpikeRecorder {
public:
    explicit SpikeFileRecorder(SpikeWriter& w) : w_(w) {}
    void append(std::span<const Spike> s, std::span<const std::uint8_t> c) override { w_.append(s, c); }
    void flush() override { w_.flush(); }

private:
    SpikeWriter& w_;
};

// Adapts SONATA report writers (one file per recording and variable) to the kernel's
// state recorder interface. Parallel (`collective` with a communicator): one on every rank,
// given the frames of the rank's own nodes; before each buffer write the writers
// redistribute them with ctx.all_to_all so that every rank writes one contiguous block of
// columns (report_writer.hpp).
class ReportFileRecorder final : public StateRecorder {
public:
    // `prefix_of(file)`: a resumed run's prefix of a report file (nullptr: none).
    ReportFileRecorder(const NetworkSpec& spec, const Decomposition& d, const h5::Collective& collective,
                       DistributedContext& ctx, const std::function<const ReportPrefix*(const std::string&)>& prefix_of)
        : collective_(collective.parallel()) {
        ReportWriter::AllToAll all_to_all;
        if (collective_)
            all_to_all = [&ctx](std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                                std::vector<std::uint8_t>& received, std::vector<std::size_t>& received_counts) {
                ctx.all_to_all(send, send_counts, received, received_counts);
            };
        const double dt = spec.simulation.dt_ms;
        for (auto& r : spec.state_recordings) {
            const ModelInfo* info = nullptr;
            for (auto& p : spec.populations)
                if (p.name == r.population) info = p.info;
            std::vector<std::unique_ptr<ReportWriter>> per_variable;
            const double start = double(to_steps(r.start_ms, dt)) * dt;
            const double stop = std::min(r.stop_ms, spec.simulation.t_stop_ms);
            std::vector<std::size_t> local_columns;  // of nodes on this rank's virtual processes
            if (collective_) {
                gid_t first = 0;
                for (auto& p : d.populations())
                    if (p.name == r.population) first = p.first_gid;
                for (std::size_t c = 0; c < r.nodes.size(); ++c)
                    if (d.vp_of(first + r.nodes[c]) / d.threads_per_rank() == collective.rank)
                        local_columns.push_back(c);
            }
            for (int v : r.variables) {
                const StateInfo& s = info->state[std::size_t(v)];
                const std::string file = report_file(r, s.name);
                per_variable.push_back(std::make_unique<ReportWriter>(
                    fs::path(spec.simulation.output_dir) / file, r.population,
                    std::vector<std::uint64_t>(r.nodes.begin(), r.nodes.end()), s.name, internal_unit(s.dim), start,
                    stop, r.interval_ms, collective, local_columns, all_to_all, prefix_of(file)));
                files_.push_back(file);
            }
            writers_.push_back(std::move(per_variable));
        }
    }
    void append(int recording, int variable, std::span<const double> frames, std::size_t n) override {
        writers_[std::size_t(recording)][std::size_t(variable)]->append(frames, n);
    }
    void flush() override {
        for (auto& r : writers_)
            for (auto& w : r) w->flush();
    }
    void finish() {
        for (auto& r : writers_)
            for (auto& w : r) w->finish();
    }
    bool collective() const override { return collective_; }
    // Per report file: the frames appended so far.
    std::map<std::string, std::uint64_t> frames() const {
        std::map<std::string, std::uint64_t> out;
        std::size_t k = 0;
        for (auto& r : writers_)
            for (auto& w : r) out[files_[k++]] = w->frames_written();
        return out;
    }

private:
    bool collective_;
    std::vector<std::vector<std::unique_ptr<ReportWriter>>> writers_;
    std::vector<std::string> files_;  // in the order of writers_
};

// Runs `part` on this rank; if it failed on any rank, throws on every rank (its own error
// where it failed, PeerFailure elsewhere), so that no rank goes on into a collective alone.
template <class F>
void on_every_rank(DistributedContext& ctx, F part) {
    std::exception_ptr error;
    try {
        part();
    } catch (...) {
        error = std::current_exception();
    }
    if (!ctx.any(error != nullptr)) return;
    if (error) std::rethrow_exception(error);
    throw PeerFailure();
}

}  // namespace

struct OutputFiles::Files {
    fs::path dir;
    Simulation* sim = nullptr;
    DistributedContext* ctx = nullptr;
    std::unique_ptr<WeightWriter> weights;  // with plastic projections
    std::unique_ptr<WeightRecordings> weight_recordings;
    std::unique_ptr<SpikeWriter> spikes;
    std::unique_ptr<SpikeFileRecorder> spike_recorder;
    std::unique_ptr<ReportFileRecorder> reports;
    std::unique_ptr<PopulationRateRecorders> rates;  // rank 0: it sees every spike after the exchange
};

OutputFiles::OutputFiles(Simulation& sim, DistributedContext& ctx, const RunMetadata& at_start,
                         const OutputContinuation* continuation)
    : files_(std::make_unique<Files>()) {
    const NetworkSpec& spec = sim.spec();
    const Decomposition& decomposition = sim.network().decomposition();
    const bool root = ctx.rank() == 0;
    Files& f = *files_;
    f.dir = spec.simulation.output_dir;
    on_every_rank(ctx, [&] {
        check_output_dir(spec);
        if (!root) return;
        // Some directories pass every check and still cannot be created (e.g. below /proc):
        // a user error, said in a sentence, before any file is written.
        std::error_code ec;
        fs::create_directories(f.dir, ec);
        if (ec) {
            const auto& w = spec.simulation.output_where;
            throw DescriptionError(spec.file, w.line, w.column, w.key_path.empty() ? "simulation.output" : w.key_path,
                                   "an output directory that can be created",
                                   "\"" + f.dir.string() + "\" (" + ec.message() + ")");
        }
    });
    std::vector<PopulationRange> recorded;
    for (auto& name : spec.spike_recordings)
        for (auto& p : decomposition.populations())
            if (p.name == name) recorded.push_back({p.name, p.first_gid, p.size});
    // Every rank receives every spike of the recorded populations in the exchange. One
    // rank: rank 0 writes them (serial HDF5, SWMR). More: every rank writes a contiguous
    // share of them into the shared file (parallel HDF5 over MPI-IO); the writers'
    // constructors agree on failures themselves.
    h5::Collective collective;
    if (ctx.size() > 1) collective = {ctx.native_communicator(), ctx.rank(), ctx.size()};
    // A resumed run: the spike, report and rate files start with the original's content up to
    // the checkpoint (rank 0 copies it; every rank knows the counts). Resuming into the original
    // directory, rank 0 first moves those files aside (<name>.before-resume) and reads them
    // from there.
    std::optional<SpikePrefix> prefix;
    std::map<std::string, fs::path> rate_sources;  // per population_rates entry
    std::map<std::string, ReportPrefix> report_prefixes;  // per report file
    std::vector<fs::path> moved_aside;
    if (continuation) {
        prefix = SpikePrefix{continuation->from_dir / "spikes.h5", continuation->spike_counts};
        for (auto& r : spec.population_rates) rate_sources[r.name] = continuation->from_dir / (r.name + ".h5");
        for (auto& [file, frames] : continuation->report_frames)
            report_prefixes[file] = ReportPrefix{continuation->from_dir / file, std::size_t(frames)};
        on_every_rank(ctx, [&] {
            if (!root) return;
            std::error_code ec;
            const bool in_place = fs::equivalent(continuation->from_dir, f.dir, ec);
            auto source = [&](fs::path& from) {
                if (!fs::is_regular_file(from))
                    throw UserError("cannot resume: the original output file '" + from.string() + "' is not there");
                if (!in_place) return;
                const fs::path aside = from.string() + ".before-resume";
                fs::rename(from, aside);
                moved_aside.push_back(aside);
                from = aside;
            };
            source(prefix->from);
            for (auto& [name, from] : rate_sources) source(from);
            for (auto& [file, p] : report_prefixes) source(p.from);
        });
    }
    on_every_rank(ctx, [&] {
        if (!root && !collective.parallel()) return;
        f.spikes = std::make_unique<SpikeWriter>(f.dir / "spikes.h5", recorded, spec.simulation.dt_ms, at_start,
                                                 collective, prefix ? &*prefix : nullptr);
        if (!spec.state_recordings.empty())
            f.reports = std::make_unique<ReportFileRecorder>(
                spec, decomposition, collective, ctx, [&](const std::string& file) -> const ReportPrefix* {
                    if (!continuation) return nullptr;
                    const auto it = report_prefixes.find(file);
                    if (it == report_prefixes.end())
                        throw UserError("cannot resume: the checkpoint has no position of the report file '" + file + "'");
                    return &it->second;
                });
        if (root) f.rates = make_population_rate_recorders(spec, decomposition, f.dir);
        if (f.rates && continuation)
            for (std::size_t i = 0; i < f.rates->size(); ++i) {
                const std::string& name = spec.population_rates[i].name;
                const auto it = continuation->rates.find(name);
                if (it == continuation->rates.end())
                    throw UserError("cannot resume: the checkpoint has no position of the rate file '" + name + "'");
                f.rates->writer(i).copy_prefix(rate_sources.at(name), it->second.bins);
                f.rates->monitor(i).restore(it->second.open);
            }
    });
    for (const fs::path& p : moved_aside) {
        std::error_code ec;
        fs::remove(p, ec);
    }
    if (f.spikes) {
        const double dt = spec.simulation.dt_ms;
        f.spikes->set_clock([&sim, dt] { return double(sim.current_step()) * dt; });
        f.spike_recorder = std::make_unique<SpikeFileRecorder>(*f.spikes);
        sim.add_recorder(f.spike_recorder.get());
    }
    if (f.rates) {
        for (std::size_t i = 0; i < f.rates->size(); ++i) sim.add_recorder(&f.rates->monitor(i));
        f.rates->set_clock([&sim] { return sim.current_step(); });
    }
    if (!spec.state_recordings.empty()) sim.add_state_recorder(f.reports.get());  // every rank samples
    f.sim = &sim;
    f.ctx = &ctx;
    if (has_plastic_projections(spec))
        f.weights = std::make_unique<WeightWriter>(sim, ctx, f.dir / "weights.h5",
                                                   continuation ? &continuation->weights_mean_start : nullptr);
    if (!spec.weight_recordings.empty())
        f.weight_recordings = std::make_unique<WeightRecordings>(
            sim, ctx, f.dir, continuation ? &continuation->weight_recordings : nullptr);
}

OutputFiles::~OutputFiles() = default;

void OutputFiles::finish(const RunMetadata& final_meta) {
    Files& f = *files_;
    if (f.spikes) f.spikes->finish(final_meta);
    if (f.reports) f.reports->finish();
    if (f.rates) f.rates->finish();
    if (f.weight_recordings) {
        f.weight_recordings->finish();
        f.weight_recordings.reset();
    }
    if (f.weights) {
        f.weights->finish(*f.sim, *f.ctx);
        f.weights.reset();
    }
}

fs::path OutputFiles::spike_file() const { return files_->dir / "spikes.h5"; }

std::map<std::string, std::uint64_t> OutputFiles::spike_counts() const {
    return files_->spikes ? files_->spikes->counts() : std::map<std::string, std::uint64_t>{};
}

std::map<std::string, std::uint64_t> OutputFiles::report_frames() const {
    return files_->reports ? files_->reports->frames() : std::map<std::string, std::uint64_t>{};
}

std::map<std::string, RatePosition> OutputFiles::rate_positions() const {
    std::map<std::string, RatePosition> out;
    const auto& rates = files_->sim->spec().population_rates;
    if (files_->rates)
        for (std::size_t i = 0; i < files_->rates->size(); ++i)
            out[rates[i].name] = {files_->rates->writer(i).bins_written(), files_->rates->monitor(i).open_bin()};
    return out;
}

std::map<std::string, double> OutputFiles::weights_mean_start() const {
    return files_->weights ? files_->weights->mean_start(files_->sim->spec()) : std::map<std::string, double>{};
}

std::map<std::string, WeightRecordingPosition> OutputFiles::weight_recording_positions() const {
    return files_->weight_recordings ? files_->weight_recordings->positions()
                                     : std::map<std::string, WeightRecordingPosition>{};
}

}  // namespace apical
