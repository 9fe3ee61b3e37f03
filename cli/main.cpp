// The apical command line: run, check, --version. Errors become one line on stderr and an
// exit code: 0 success, 2 bad description or arguments, 1 runtime failure, 128 + signal
// number when stopped by SIGINT (130) or SIGTERM (143).
// Under mpirun every rank runs this; rank 0 prints. Output files: with one rank, rank 0
// writes them with serial HDF5 in SWMR mode; with more, all ranks write them together with
// parallel HDF5 over MPI-IO, each a contiguous share of the spikes and of the sampled columns. Ranks agree
// after each phase that can fail (description, network, output file), so a bad description
// stops all ranks with one message and exit code 2 instead of leaving some waiting in a
// collective; a failure during the simulation ends the whole job (MPI_Abort) with code 1.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "engine/mpi_context.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "io/parallel_hdf5.hpp"
#include "io/population_rate_writer.hpp"
#include "io/report_writer.hpp"
#include "neurons/model_info.hpp"
#include "io/spike_writer.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace apical;

namespace {

constexpr int exit_ok = 0, exit_runtime = 1, exit_usage = 2;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::uint64_t peak_rss_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return std::uint64_t(u.ru_maxrss) * 1024;
}

// Resident memory now (not the peak): before anything is built, the process's baseline
// (libraries, MPI, HDF5), which construction memory is measured from.
std::uint64_t current_rss_bytes() {
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return std::uint64_t(resident) * std::uint64_t(sysconf(_SC_PAGESIZE));
}

void on_signal(int sig) { stop_request.store(sig); }

void install_signal_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// The output directory must be creatable and writable; checked before anything is written.
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
    if (!fs::is_directory(p, ec)) fail("\"" + p.string() + "\", which is not a directory");
    if (access(p.c_str(), W_OK | X_OK) != 0) fail("\"" + p.string() + "\", which is not writable");
    if (fs::exists(dir / "spikes.h5", ec) && access((dir / "spikes.h5").c_str(), W_OK) != 0)
        fail("\"" + (dir / "spikes.h5").string() + "\", which is not writable");
}

std::string fmt(double x, int digits = 1) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", digits, x);
    return b;
}

std::string human_bytes(double b) {
    const char* u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < 4) { b /= 1024; ++i; }
    return fmt(b, i ? 1 : 0) + " " + u[i];
}

void print_network(const Network& net, std::ostream& os) {
    const NetworkSpec& spec = net.spec();
    os << "description: " << spec.file << "\n";
    os << "simulation: dt " << spec.simulation.dt_ms << " ms, t_stop " << spec.simulation.t_stop_ms
       << " ms, seed " << spec.simulation.seed << ", threads " << spec.simulation.threads << "\n";
    os << "populations:\n";
    for (auto& p : spec.populations)
        os << "  " << p.name << ": " << p.size << " x " << p.model << "\n";
    os << "projections:\n";
    auto counts = net.synapses_per_projection();
    for (std::size_t i = 0; i < spec.projections.size(); ++i)
        os << "  " << spec.projections[i].name << ": " << spec.projections[i].source << " -> "
           << spec.projections[i].target << ", " << counts[i] << " synapses\n";
    os << "stimuli: " << spec.stimuli.size() << "\n";
    os << "neurons: " << net.n_neurons() << ", synapses: " << net.n_synapses() << "\n";
    os << "delays: min " << net.min_delay() * net.dt() << " ms, max " << net.max_delay() * net.dt()
       << " ms (" << net.min_delay() << " and " << net.max_delay() << " steps)\n";
    os << "memory: synapses " << human_bytes(double(net.synapse_bytes())) << " ("
       << fmt(net.n_synapses() ? double(net.synapse_bytes()) / double(net.n_synapses()) : 0.0, 2)
       << " bytes per synapse), neurons and ring buffers " << human_bytes(double(net.neuron_bytes()))
       << "\n";
}

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
    ReportFileRecorder(const NetworkSpec& spec, const Decomposition& d, const h5::Collective& collective,
                       DistributedContext& ctx)
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
                per_variable.push_back(std::make_unique<ReportWriter>(
                    fs::path(spec.simulation.output_dir) / (r.name + "_" + s.name + ".h5"), r.population,
                    std::vector<std::uint64_t>(r.nodes.begin(), r.nodes.end()), s.name, internal_unit(s.dim), start,
                    stop, r.interval_ms, collective, local_columns, all_to_all));
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

private:
    bool collective_;
    std::vector<std::vector<std::unique_ptr<ReportWriter>>> writers_;
};

struct Progress {
    bool enabled = isatty(STDERR_FILENO) != 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
    void show(double t_ms, double t_stop_ms, bool final = false) {
        if (!enabled) return;
        auto now = std::chrono::steady_clock::now();
        if (!final && std::chrono::duration<double>(now - last).count() < 0.25) return;
        last = now;
        const double wall = std::chrono::duration<double>(now - start).count();
        const double rtf = t_ms > 0 ? wall / (t_ms * 1e-3) : 0.0;
        const double eta = t_ms > 0 ? wall * (t_stop_ms - t_ms) / t_ms : 0.0;
        std::fprintf(stderr, "\r[apical] t = %.1f / %.1f ms, real-time factor %.2f, ETA %.0f s   %s",
                     t_ms, t_stop_ms, rtf, eta, final ? "\n" : "");
        std::fflush(stderr);
    }
};

// After a phase that may have failed on some ranks: the lowest rank with a real error prints
// it; every rank learns whether anyone failed.
bool agree_on_failure(DistributedContext& ctx, const std::string& message, bool peer_only) {
    const bool failed = !message.empty() || peer_only;
    if (!ctx.any(failed)) return false;
    const bool reporter = !message.empty() && !peer_only;
    const int lowest = -int(ctx.max(reporter ? -double(ctx.rank()) : -double(ctx.size())));
    if (reporter && ctx.rank() == lowest) std::cerr << message << "\n";
    return true;
}

// Runs `phase`; returns 0 if it succeeded on every rank, else the exit code (2 for user errors,
// 1 otherwise) after the error was printed once.
template <class F>
int collective_phase(DistributedContext& ctx, F phase) {
    std::string message;
    bool peer = false, user = true;
    try {
        phase();
    } catch (const PeerFailure&) {
        peer = true;
    } catch (const UserError& e) {
        message = e.what();
    } catch (const std::exception& e) {
        message = std::string("apical: error: ") + e.what();
        user = false;
    }
    if (!agree_on_failure(ctx, message, peer)) return 0;
    return int(ctx.max(user ? 2.0 : 1.0) == 1.0 ? 1 : 2);
}

int command_run(const std::vector<std::string>& args, bool check_only, DistributedContext& ctx) {
    const bool root = ctx.rank() == 0;
    po::options_description opts(check_only ? "apical check MODEL.yaml [options]"
                                            : "apical run MODEL.yaml [options]");
    opts.add_options()("help,h", "show this help")
        ("set", po::value<std::vector<std::string>>()->composing(),
         "override a description value: --set key.path=value (repeatable)");
    if (!check_only)
        opts.add_options()("output,o", po::value<std::string>(), "output directory")
            ("threads", po::value<int>(), "OpenMP threads")
            ("seed", po::value<std::uint32_t>(), "random seed")
            ("t-stop", po::value<double>(), "biological time to simulate (ms)")
            ("timers", "print the time spent in each phase of the slice loop");
    po::options_description hidden;
    hidden.add_options()("model", po::value<std::string>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("model", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw UserError(std::string("apical: ") + e.what() + " (see --help)");
    }
    if (vm.count("help")) {
        if (root) std::cout << opts;
        return exit_ok;
    }
    if (!vm.count("model")) throw UserError("apical: expected a description file MODEL.yaml (see --help)");

    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    if (vm.count("output")) overrides.push_back("simulation.output=" + vm["output"].as<std::string>());
    if (vm.count("threads")) overrides.push_back("simulation.threads=" + std::to_string(vm["threads"].as<int>()));
    if (vm.count("seed")) overrides.push_back("simulation.seed=" + std::to_string(vm["seed"].as<std::uint32_t>()));
    if (vm.count("t-stop")) {
        char b[64];
        std::snprintf(b, sizeof b, "%.17g ms", vm["t-stop"].as<double>());
        overrides.push_back(std::string("simulation.t_stop=") + b);
    }

    const auto t_build = std::chrono::steady_clock::now();
    const std::uint64_t rss_before_build = current_rss_bytes();
    NetworkSpec spec;
    if (int code = collective_phase(ctx, [&] {
            spec = load(vm["model"].as<std::string>(), overrides);
            if (!check_only) check_output_dir(spec);
        }))
        return code;
    if (root)
        for (auto& w : spec.warnings) std::cerr << "warning: " << w << "\n";
    std::unique_ptr<Network> net_ptr;
    if (int code = collective_phase(ctx, [&] {
            net_ptr = std::make_unique<Network>(spec, ctx.size(), ctx.rank(), spec.simulation.threads, &ctx);
        }))
        return code;
    Network& net = *net_ptr;
    const double build_s = ctx.max(seconds_since(t_build));
    const std::uint64_t n_synapses = ctx.sum(net.n_synapses());
    const std::uint64_t synapse_bytes = ctx.sum(net.synapse_bytes());
    // Construction memory per rank: what building added to the process (peak RSS so far minus
    // the RSS before the description was read), and the network's own data structures.
    const std::uint64_t rss_after_build = peak_rss_bytes();
    const auto max_over_ranks = [&ctx](std::uint64_t x) { return std::uint64_t(ctx.max(double(x))); };
    if (check_only) {
        if (root) print_network(net, std::cout);  // counts of this rank (all of them with one rank)
        return exit_ok;
    }
    RunMetadata meta;
    meta.version = APICAL_VERSION;
    meta.seed = spec.simulation.seed;
    meta.dt_ms = spec.simulation.dt_ms;
    meta.t_stop_ms = spec.simulation.t_stop_ms;
    meta.ranks = ctx.size();
    meta.threads = spec.simulation.threads;
    meta.decomposition = "round robin: neuron gid on virtual process gid % (ranks x threads); "
                         "virtual process v on rank v / threads, thread v % threads";
    meta.n_neurons = net.n_neurons();
    meta.n_synapses = n_synapses;
    meta.synapse_bytes = synapse_bytes;
    meta.build_s = build_s;
    meta.baseline_rss_bytes = max_over_ranks(rss_before_build);
    meta.construction_bytes = max_over_ranks(rss_after_build - std::min(rss_after_build, rss_before_build));
    meta.network_bytes = max_over_ranks(net.synapse_bytes() + net.neuron_bytes());
    meta.resolved_description = spec.resolved_yaml;
    const ClassificationInfo classification{spec.simulation.spike_classification.rule,
                                            spec.simulation.spike_classification.threshold_ms};
    meta.spike_class_rule = classification.description();
    std::vector<PopulationRange> recorded;
    for (auto& name : spec.spike_recordings)
        for (auto& p : net.decomposition().populations())
            if (p.name == name) recorded.push_back({p.name, p.first_gid, p.size});
    // Every rank receives every spike in the exchange. One rank: rank 0 writes them (serial
    // HDF5, SWMR). More: every rank writes a contiguous share of them into the shared file
    // (parallel HDF5 over MPI-IO); the writers' constructors agree on failures themselves.
    h5::Collective collective;
    if (ctx.size() > 1) collective = {ctx.native_communicator(), ctx.rank(), ctx.size()};
    const Decomposition& decomposition = net.decomposition();
    std::unique_ptr<SpikeWriter> writer;
    std::unique_ptr<ReportFileRecorder> reports;
    std::unique_ptr<PopulationRateRecorders> rates;  // rank 0: it sees every spike after the exchange
    if (int code = collective_phase(ctx, [&] {  // everything is valid: write
            if (root) fs::create_directories(spec.simulation.output_dir);
        }))
        return code;
    if (int code = collective_phase(ctx, [&] {
            if (!root && !collective.parallel()) return;
            writer = std::make_unique<SpikeWriter>(fs::path(spec.simulation.output_dir) / "spikes.h5", recorded,
                                                   spec.simulation.dt_ms, meta, collective);
            if (!spec.state_recordings.empty())
                reports = std::make_unique<ReportFileRecorder>(spec, decomposition, collective, ctx);
            if (root) rates = make_population_rate_recorders(spec, decomposition, spec.simulation.output_dir);
        }))
        return code;
    std::unique_ptr<SpikeFileRecorder> file_recorder;
    if (writer) file_recorder = std::make_unique<SpikeFileRecorder>(*writer);

    Simulation sim(net, ctx);
    if (file_recorder) sim.add_recorder(file_recorder.get());
    if (rates) rates->attach(sim);
    if (!spec.state_recordings.empty()) sim.add_state_recorder(reports.get());  // every rank samples
    Progress progress;
    progress.enabled = progress.enabled && root;
    const step_t until = to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms);
    sim.on_slice([&](step_t s) { progress.show(double(s) * meta.dt_ms, meta.t_stop_ms); });
    install_signal_handlers();

    const auto t_sim = std::chrono::steady_clock::now();
    step_t reached = 0;
    try {
        reached = sim.run(until);
    } catch (const std::exception& e) {
        // Other ranks may be inside a collective: end the whole job.
        std::cerr << "apical: error on rank " << ctx.rank() << ": " << e.what() << "\n";
        MpiSession::abort_all(exit_runtime);
    }
    meta.simulate_s = ctx.max(seconds_since(t_sim));
    progress.show(double(reached) * meta.dt_ms, meta.t_stop_ms, true);
    meta.simulated_ms = double(reached) * meta.dt_ms;
    meta.completed = reached == until;
    meta.peak_rss_bytes = std::uint64_t(ctx.max(double(peak_rss_bytes())));  // per rank, the largest
    meta.timer_deliver_s = ctx.max(sim.times().deliver);
    meta.timer_update_s = ctx.max(sim.times().update);
    meta.timer_exchange_s = ctx.max(sim.times().exchange);
    meta.timer_write_s = ctx.max(sim.times().write);
    meta.spike_exchange = spike_exchange_name(spec.simulation.spike_exchange);
    meta.exchanges = sim.exchanges();
    meta.exchange_bytes_sent = max_over_ranks(sim.exchange_bytes_sent());
    if (root && vm.count("timers"))
        std::cerr << "apical: timers (s, slowest rank): deliver " << fmt(meta.timer_deliver_s, 3) << ", update "
                  << fmt(meta.timer_update_s, 3) << ", exchange " << fmt(meta.timer_exchange_s, 3) << ", write "
                  << fmt(meta.timer_write_s, 3) << "; " << meta.spike_exchange << " exchange: "
                  << human_bytes(double(meta.exchange_bytes_sent) / double(std::max<std::uint64_t>(meta.exchanges, 1)))
                  << " sent per exchange by the busiest rank\n";
    if (writer) writer->finish(meta);
    if (reports) reports->finish();
    if (rates) rates->finish();
    if (!root) return stop_request.load() != 0 && reached < until ? 128 + stop_request.load() : exit_ok;

    const int sig = stop_request.load();
    if (sig != 0 && reached < until) {
        std::cerr << "apical: stopped by " << (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal")
                  << " at t = " << meta.simulated_ms << " ms of " << meta.t_stop_ms << " ms; "
                  << (fs::path(spec.simulation.output_dir) / "spikes.h5").string()
                  << " holds everything up to there\n";
        return 128 + sig;
    }
    std::cerr << "apical: simulated " << meta.simulated_ms << " ms in " << fmt(meta.simulate_s, 2)
              << " s (build " << fmt(build_s, 2) << " s, " << net.n_neurons() << " neurons, "
              << n_synapses << " synapses, " << ctx.size() << " x " << meta.threads
              << " ranks x threads, peak memory per rank " << human_bytes(double(meta.peak_rss_bytes))
              << "); wrote " << (fs::path(spec.simulation.output_dir) / "spikes.h5").string() << "\n";
    return exit_ok;
}

const char* usage =
    "usage: apical <command> [options]\n"
    "commands:\n"
    "  run MODEL.yaml [-o OUTDIR] [--threads N] [--seed S] [--t-stop MS] [--set key.path=value ...]\n"
    "                 simulate and write OUTDIR/spikes.h5\n"
    "  check MODEL.yaml [--set key.path=value ...]\n"
    "                 validate and print the resolved network\n"
    "  --version      print the version\n"
    "Run 'apical <command> --help' for the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
    MpiSession mpi(argc, argv);
    std::unique_ptr<DistributedContext> context;
    if (mpi.active())
        context = std::make_unique<MpiContext>();
    else
        context = std::make_unique<LocalContext>();
    DistributedContext& ctx = *context;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        if (ctx.rank() == 0) std::cout << usage;
        return args.empty() ? exit_usage : exit_ok;
    }
    if (args[0] == "--version") {
        if (ctx.rank() == 0) std::cout << "apical " << APICAL_VERSION << "\n";
        return exit_ok;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    try {
        if (command == "run") return command_run(args, false, ctx);
        if (command == "check") return command_run(args, true, ctx);
        if (ctx.rank() == 0) std::cerr << "apical: unknown command '" << command << "'; expected run or check\n" << usage;
        return exit_usage;
    } catch (const UserError& e) {  // argument errors: the same on every rank
        if (ctx.rank() == 0) std::cerr << e.what() << "\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "apical: error: " << e.what() << "\n";
        return exit_runtime;
    }
}
