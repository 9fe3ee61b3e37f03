// The apical command line: run, check, --version. Errors become one line on stderr and an
// exit code: 0 success, 2 bad description or arguments, 1 runtime failure, 128 + signal
// number when stopped by SIGINT (130) or SIGTERM (143).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "engine/error.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
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
        throw DescriptionError(w.line > 0 ? spec.file : "--set", w.line, w.column,
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
    void append(std::span<const Spike> s) override { w_.append(s); }
    void flush() override { w_.flush(); }

private:
    SpikeWriter& w_;
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

int command_run(const std::vector<std::string>& args, bool check_only) {
    po::options_description opts(check_only ? "apical check MODEL.yaml [options]"
                                            : "apical run MODEL.yaml [options]");
    opts.add_options()("help,h", "show this help")
        ("set", po::value<std::vector<std::string>>()->composing(),
         "override a description value: --set key.path=value (repeatable)");
    if (!check_only)
        opts.add_options()("output,o", po::value<std::string>(), "output directory")
            ("threads", po::value<int>(), "OpenMP threads")
            ("seed", po::value<std::uint32_t>(), "random seed")
            ("t-stop", po::value<double>(), "biological time to simulate (ms)");
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
        std::cout << opts;
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
    const NetworkSpec spec = load_description(vm["model"].as<std::string>(), overrides);
    for (auto& w : spec.warnings) std::cerr << "warning: " << w << "\n";
    if (!check_only) check_output_dir(spec);
    Network net(spec, 1, 0, spec.simulation.threads);
    const double build_s = seconds_since(t_build);
    if (check_only) {
        print_network(net, std::cout);
        return exit_ok;
    }

    // Everything is valid: only now is anything written.
    fs::create_directories(spec.simulation.output_dir);
    RunMetadata meta;
    meta.version = APICAL_VERSION;
    meta.seed = spec.simulation.seed;
    meta.dt_ms = spec.simulation.dt_ms;
    meta.t_stop_ms = spec.simulation.t_stop_ms;
    meta.ranks = 1;
    meta.threads = spec.simulation.threads;
    meta.n_neurons = net.n_neurons();
    meta.n_synapses = net.n_synapses();
    meta.synapse_bytes = net.synapse_bytes();
    meta.build_s = build_s;
    meta.resolved_description = spec.resolved_yaml;
    std::vector<PopulationRange> recorded;
    for (auto& name : spec.spike_recordings)
        for (auto& p : net.decomposition().populations())
            if (p.name == name) recorded.push_back({p.name, p.first_gid, p.size});
    SpikeWriter writer(fs::path(spec.simulation.output_dir) / "spikes.h5", recorded, spec.simulation.dt_ms, meta);
    SpikeFileRecorder file_recorder(writer);

    LocalContext context;
    Simulation sim(net, context);
    sim.add_recorder(&file_recorder);
    Progress progress;
    const step_t until = to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms);
    sim.on_slice([&](step_t s) { progress.show(double(s) * meta.dt_ms, meta.t_stop_ms); });
    install_signal_handlers();

    const auto t_sim = std::chrono::steady_clock::now();
    const step_t reached = sim.run(until);
    meta.simulate_s = seconds_since(t_sim);
    progress.show(double(reached) * meta.dt_ms, meta.t_stop_ms, true);
    meta.simulated_ms = double(reached) * meta.dt_ms;
    meta.completed = reached == until;
    meta.peak_rss_bytes = peak_rss_bytes();
    writer.finish(meta);

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
              << net.n_synapses() << " synapses, peak memory " << human_bytes(double(meta.peak_rss_bytes))
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
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << usage;
        return args.empty() ? exit_usage : exit_ok;
    }
    if (args[0] == "--version") {
        std::cout << "apical " << APICAL_VERSION << "\n";
        return exit_ok;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    try {
        if (command == "run") return command_run(args, false);
        if (command == "check") return command_run(args, true);
        std::cerr << "apical: unknown command '" << command << "'; expected run or check\n" << usage;
        return exit_usage;
    } catch (const UserError& e) {
        std::cerr << e.what() << "\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "apical: error: " << e.what() << "\n";
        return exit_runtime;
    }
}
