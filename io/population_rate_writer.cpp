// Population rate files with SWMR streaming (see population_rate_writer.hpp).
//
// As in spike_writer.cpp (HDF5 1.10.8): every group, attribute and dataset is created before
// H5Fstart_swmr_write; under SWMR the writer only extends and writes the seven datasets.
// They are always extended together, so a reader (or the file of a killed run) finds them
// of one length after every flush.
#include "io/population_rate_writer.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace apical {

namespace {

struct DatasetInfo {
    const char* name;
    const char* units;
    bool integer;
};
// The order of PopulationRateWriter::datasets_.
constexpr DatasetInfo dataset_info[7] = {
    {"time", "ms", false},           {"bin_width", "ms", false},      {"event_rate", "Hz", false},
    {"burst_rate", "Hz", false},     {"burst_probability", "1", false}, {"event_count", "1", true},
    {"burst_count", "1", true},
};

std::string format_ms(double ms) {
    std::ostringstream s;
    s.precision(12);
    s << ms << " ms";
    return s.str();
}

}  // namespace

std::string ClassificationInfo::description() const {
    if (rule == ClassificationRule::isi)
        return "isi (docs/models.md 3.1): a spike continues a burst iff its interval to the neuron's previous spike "
               "is <= " + format_ms(threshold_ms) + "; event = a spike that does not, burst = the first that does";
    return "trace (docs/models.md 3.2): a spike continues a burst iff the trace of the neuron's earlier spikes "
           "(tau " + format_ms(threshold_ms) + ", +1 per spike, read before the spike) is >= 1/e; event = a "
           "spike that does not, burst = the first that does";
}

PopulationRateWriter::PopulationRateWriter(const std::filesystem::path& path, const std::string& population,
                                           std::uint64_t n_neurons, double dt_ms, double bin_ms,
                                           double start_ms, double stop_ms,
                                           const ClassificationInfo& classification)
    : path_(path) {
    const std::string where = "population rate file '" + path.string() + "': ";
    if (population.empty() || population == "." || population.find('/') != std::string::npos)
        throw UserError(where + "population name '" + population + "' cannot be used as an HDF5 group name");
    if (n_neurons == 0) throw UserError(where + "population '" + population + "' has no neurons");
    file_ = h5::create_output_file(path, "population rate file");
    create_layout(population, n_neurons, dt_ms, bin_ms, start_ms, stop_ms, classification);
    h5::start_swmr_write(file_.get());
    for (auto* v : {&time_, &width_, &event_rate_, &burst_rate_, &probability_}) v->reserve(chunk_elements);
    events_.reserve(chunk_elements);
    bursts_.reserve(chunk_elements);
}

PopulationRateWriter::~PopulationRateWriter() {
    if (finished_ || !file_.valid()) return;
    h5::flush_and_close_quietly([this] { flush(); }, [this] { close_all(); });
}

void PopulationRateWriter::create_layout(const std::string& population, std::uint64_t n_neurons, double dt_ms,
                                         double bin_ms, double start_ms, double stop_ms,
                                         const ClassificationInfo& classification) {
    h5::Handle rates = h5::create_group(file_.get(), "population_rates");
    h5::Handle group = h5::create_group(rates.get(), population);
    const hid_t g = group.get();
    h5::write_attribute(g, "n_neurons", n_neurons);
    h5::write_attribute(g, "bin_ms", bin_ms);
    h5::write_attribute(g, "start_ms", start_ms);
    h5::write_attribute(g, "stop_ms", stop_ms);
    h5::write_attribute(g, "dt_ms", dt_ms);
    h5::write_attribute(g, "classification_rule", std::string(classification_rule_name(classification.rule)));
    h5::write_attribute(g, "classification_threshold_ms", classification.threshold_ms);
    h5::write_attribute(g, "classification", classification.description());
    h5::write_attribute(g, "definition",
                        "bin i covers spike times [time[i], time[i] + bin_width[i]) (spike at step s: time s dt); "
                        "event_rate = event_count / (bin_width n_neurons), burst_rate = burst_count / (bin_width "
                        "n_neurons), burst_probability = burst_count / event_count (NaN when event_count = 0); "
                        "bin_width < bin_ms for the bin cut by stop or by the end of the run");
    for (std::size_t k = 0; k < 7; ++k) {
        const DatasetInfo& d = dataset_info[k];
        datasets_[k] =
            h5::create_chunked_1d(g, d.name, d.integer ? H5T_STD_U64LE : H5T_IEEE_F64LE, chunk_elements);
        h5::write_attribute(datasets_[k].get(), "units", d.units);
    }
}

void PopulationRateWriter::copy_prefix(const std::filesystem::path& from, std::size_t bins) {
    APICAL_ASSERT(bins_written() == 0);
    if (bins == 0) return;
    h5::Handle file = h5::open_file_for_reading(from);
    h5::Handle rates = h5::open_group(file.get(), "population_rates");
    const std::vector<std::string> groups = h5::child_names(rates.get());
    if (groups.size() != 1) throw UserError("cannot resume: '" + from.string() + "' is not a population rate file");
    h5::Handle group = h5::open_group(rates.get(), groups[0]);
    auto copy = [&]<class T>(std::size_t k, T) {
        std::vector<T> values = h5::read_all<T>(h5::open_dataset(group.get(), dataset_info[k].name).get());
        if (values.size() < bins)
            throw UserError("cannot resume: the rate file '" + from.string() + "' holds " +
                            std::to_string(values.size()) + " bins, the checkpoint counts " + std::to_string(bins));
        values.resize(bins);
        h5::append(datasets_[k].get(), std::span<const T>(values));
    };
    for (std::size_t k = 0; k < 5; ++k) copy(k, double{});
    for (std::size_t k = 5; k < 7; ++k) copy(k, std::uint64_t{});
    in_file_ = bins;
}

void PopulationRateWriter::append(const PopulationRateBin& b) {
    APICAL_ASSERT(!finished_);
    time_.push_back(b.time_ms);
    width_.push_back(b.width_ms);
    event_rate_.push_back(b.event_rate_hz);
    burst_rate_.push_back(b.burst_rate_hz);
    probability_.push_back(b.burst_probability);
    events_.push_back(b.events);
    bursts_.push_back(b.bursts);
    if (time_.size() >= chunk_elements) write_buffers();
}

void PopulationRateWriter::write_buffers() {
    if (time_.empty()) return;
    std::vector<double>* reals[5] = {&time_, &width_, &event_rate_, &burst_rate_, &probability_};
    for (std::size_t k = 0; k < 5; ++k) h5::append(datasets_[k].get(), std::span<const double>(*reals[k]));
    h5::append(datasets_[5].get(), std::span<const std::uint64_t>(events_));
    h5::append(datasets_[6].get(), std::span<const std::uint64_t>(bursts_));
    in_file_ += time_.size();
    for (auto* v : reals) v->clear();
    events_.clear();
    bursts_.clear();
}

void PopulationRateWriter::flush() {
    if (finished_ || !file_.valid()) return;
    write_buffers();
    for (h5::Handle& d : datasets_)
        if (H5Dflush(d.get()) < 0) h5::fail("flush", d.get(), "");
    if (H5Fflush(file_.get(), H5F_SCOPE_LOCAL) < 0) h5::fail("flush", file_.get(), "");
}

void PopulationRateWriter::finish() {
    if (finished_) return;
    flush();
    finished_ = true;
    close_all();
}

// Datasets first, then the file (which ends SWMR mode and writes the last metadata).
void PopulationRateWriter::close_all() {
    for (h5::Handle& d : datasets_) d.close();
    file_.close();
}

// ---- the recorders of a description -----------------------------------------------------

PopulationRateRecorders::PopulationRateRecorders(const NetworkSpec& spec, const Decomposition& populations,
                                                 const std::filesystem::path& output_dir) {
    const double dt = spec.simulation.dt_ms;
    ClassificationInfo classification;
    classification.rule = spec.simulation.spike_classification.rule;
    classification.threshold_ms = spec.simulation.spike_classification.threshold_ms;
    for (const PopulationRateSpec& r : spec.population_rates) {
        const PopulationLayout* pop = nullptr;
        for (const PopulationLayout& p : populations.populations())
            if (p.name == r.population) pop = &p;
        if (pop == nullptr)
            throw UserError("population rate recording '" + r.name + "': no population '" + r.population + "'");
        const double stop_ms = std::min(r.stop_ms, spec.simulation.t_stop_ms);
        const PopulationRateMonitor::Grid grid =
            PopulationRateMonitor::grid(r.bin_ms, r.start_ms, stop_ms, dt);
        writers_.push_back(std::make_unique<PopulationRateWriter>(output_dir / (r.name + ".h5"), r.population,
                                                                  pop->size, dt, r.bin_ms, r.start_ms, stop_ms,
                                                                  classification));
        monitors_.push_back(
            std::make_unique<PopulationRateMonitor>(pop->first_gid, pop->size, dt, grid, *writers_.back()));
    }
}

void PopulationRateRecorders::set_clock(std::function<step_t()> clock) {
    clock_ = std::move(clock);
    for (auto& m : monitors_) m->set_clock(clock_);
}

void PopulationRateRecorders::finish() {
    APICAL_ASSERT(clock_ || finished_);
    if (!finished_) finish(clock_());
}

void PopulationRateRecorders::finish(step_t last_step) {
    if (finished_) return;
    finished_ = true;
    for (auto& m : monitors_) m->finish(last_step);
    for (auto& w : writers_) w->finish();
}

std::unique_ptr<PopulationRateRecorders> make_population_rate_recorders(const NetworkSpec& spec,
                                                                        const Decomposition& populations,
                                                                        const std::filesystem::path& output_dir) {
    if (spec.population_rates.empty()) return nullptr;
    return std::make_unique<PopulationRateRecorders>(spec, populations, output_dir);
}

}  // namespace apical
