// The apical command line: run, check, resume, info, --version, over the run library (load, Simulation,
// OutputFiles, run; docs/architecture.md, "The run library"). Errors become one line on
// stderr and an exit code: 0 success, 2 bad description or arguments, 1 runtime failure,
// 128 + signal number when stopped by SIGINT (130), SIGTERM (143) or, with
// --checkpoint-on-signal, SIGUSR1 (138).
// Under mpirun every rank runs this; rank 0 prints. Ranks agree (collective_phase)
// after each phase that can fail (description, network, output file), so a bad description
// stops all ranks with one message and exit code 2 instead of leaving some waiting in a
// collective; a failure during the simulation ends the whole job (MPI_Abort) with code 1.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <system_error>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "engine/checkpoint.hpp"
#include "engine/collective_phase.hpp"
#include "engine/memory_estimate.hpp"
#include "engine/mpi_context.hpp"
#include "engine/simulation.hpp"
#include "io/checkpoint_file.hpp"
#include "io/description.hpp"
#include "io/output_files.hpp"
#include "io/run_metadata.hpp"
#include "io/run_summary.hpp"
#include "io/sonata.hpp"
#include "io/units.hpp"

namespace po = boost::program_options;
using namespace apical;

namespace {

constexpr int exit_ok = 0, exit_runtime = 1, exit_usage = 2;

void on_signal(int sig) { stop_request.store(sig); }

// SIGINT and SIGTERM stop the run at the next slice boundary; with --checkpoint-on-signal
// SIGUSR1 does too (Slurm's warning before the time limit: #SBATCH --signal=B:USR1@120), and
// the run then writes a checkpoint there.
void install_signal_handlers(bool usr1) {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    if (usr1) sigaction(SIGUSR1, &sa, nullptr);
}

const char* signal_name(int sig) {
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" : "a signal";
}

void print_network(const Network& net, const MemoryEstimate& estimate, const MemoryLimit& available,
                   std::ostream& os) {
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
    if (const Network::EdgeReading r = net.edge_reading(); r.edges > 0)
        os << "edges read: " << r.edges << " in " << fixed(r.seconds, 3) << " s ("
           << fixed(r.seconds > 0 ? double(r.edges) / r.seconds * 1e-6 : 0.0, 1) << " million per second)\n";
    os << "delays: min " << net.min_delay() * net.dt() << " ms, max " << net.max_delay() * net.dt()
       << " ms (" << net.min_delay() << " and " << net.max_delay() << " steps)\n";
    os << "memory: synapses " << human_bytes(double(net.synapse_bytes())) << " ("
       << fixed(net.n_synapses() ? double(net.synapse_bytes()) / double(net.n_synapses()) : 0.0, 2)
       << " bytes per synapse), neurons and ring buffers " << human_bytes(double(net.neuron_bytes()))
       << "\n";
    // The estimate made before building, beside the measured figures, so users see how good it is.
    os << "memory estimate: synapses " << human_bytes(double(estimate.synapse_bytes)) << ", neurons and ring buffers "
       << human_bytes(double(estimate.neuron_bytes)) << ", stimuli and recordings "
       << human_bytes(double(estimate.other_bytes)) << ", peak while building "
       << human_bytes(double(estimate.peak_bytes())) << "; available "
       << (available.bytes ? human_bytes(double(available.bytes)) + " (" + available.source + ")" : "unknown")
       << "\n";
}

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

// A sentence for an exception that is not apical's own, naming what failed: the user reads
// "out of memory while building the network", never "std::bad_alloc".
std::string sentence(const std::exception& e, const std::string& doing) {
    if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of memory while " + doing;
    if (dynamic_cast<const std::length_error*>(&e))
        return "out of memory while " + doing + " (a size beyond what one process can hold)";
    if (auto* f = dynamic_cast<const std::filesystem::filesystem_error*>(&e))
        return "a file system error while " + doing + ": " + f->path1().string() + ": " + f->code().message();
    if (dynamic_cast<const std::system_error*>(&e))
        return "a system error while " + doing + ": " + dynamic_cast<const std::system_error&>(e).code().message();
    const std::string what = e.what();
    if (dynamic_cast<const RuntimeFailure*>(&e) || what.starts_with("internal error: ")) return what;  // our own
    return "an unexpected error while " + doing + " (" + what + ")";
}

// Runs one phase of a command; an exception other than a UserError becomes a RuntimeFailure
// whose message is a sentence (collective_phase prints it after "apical: error: ").
template <class F>
auto phase(const std::string& doing, F f) {
    return [doing, f] {
        try {
            f();
        } catch (const UserError&) {
            throw;
        } catch (const std::exception& e) {
            throw RuntimeFailure(sentence(e, doing));
        }
    };
}

// Prints a failed phase's message (on the rank that has it); its exit code, 0 if it succeeded.
int report(const PhaseResult& r) {
    if (!r.message.empty()) std::cerr << printable_line(r.message) << "\n";
    return r.exit_code;
}

// A command's arguments: `opts` and one positional argument stored as `positional`.
po::variables_map parse_arguments(const std::vector<std::string>& args, const po::options_description& opts,
                                  const char* positional) {
    po::options_description hidden;
    hidden.add_options()(positional, po::value<std::string>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add(positional, 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw UserError(std::string("apical: ") + e.what() + " (see --help)");
    }
    return vm;
}

// The options of run and resume that say how the run goes on.
void add_simulate_options(po::options_description& opts) {
    opts.add_options()("timers", "print the time spent in each phase of the slice loop and writing checkpoints")
        ("checkpoint-every", po::value<std::string>(),
         "write a checkpoint every TIME of simulated time (e.g. 10s) into the output directory")
        ("checkpoint-on-signal", "on SIGTERM or SIGUSR1, stop at the next slice and write a checkpoint there");
}

struct CheckpointOptions {
    step_t every = 0;  // steps; 0: none
    bool on_signal = false;
};

CheckpointOptions checkpoint_options(const po::variables_map& vm, double dt_ms) {
    CheckpointOptions o;
    o.on_signal = vm.count("checkpoint-on-signal") > 0;
    if (vm.count("checkpoint-every")) {
        const std::string text = vm["checkpoint-every"].as<std::string>();
        double ms = 0;
        try {
            ms = parse_quantity(text, Dimension::time);
        } catch (const std::exception& e) {
            throw UserError("apical: --checkpoint-every: " + std::string(e.what()));
        }
        if (!(ms > 0) || !fits_steps(ms, dt_ms))
            throw UserError("apical: --checkpoint-every: expected a positive time, found \"" + text + "\"");
        o.every = std::max<step_t>(1, to_steps(ms, dt_ms));
    }
    return o;
}

// Runs a built simulation with its files to the end (or a signal), writing checkpoints as
// asked, and reports; returns the exit code. Shared by run and resume.
int simulate(Simulation& sim, DistributedContext& ctx, RunMetadata& meta, OutputFiles& files,
             const CheckpointOptions& co, bool timers) {
    const bool root = ctx.rank() == 0;
    const NetworkSpec& spec = sim.spec();
    const step_t until = to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms);
    const std::filesystem::path dir = spec.simulation.output_dir;
    int n_checkpoints = 0;
    double checkpoint_s = 0;
    std::uint64_t checkpoint_bytes = 0;
    auto checkpoint = [&](step_t now) {
        const CheckpointWritten w =
            write_checkpoint(sim, ctx, files, checkpoint_path(dir, now, spec.simulation.dt_ms));
        ++n_checkpoints;
        checkpoint_s += w.seconds;
        checkpoint_bytes = w.bytes;
        if (root && timers)
            std::cerr << "apical: checkpoint " << w.path.string() << ": " << human_bytes(double(w.bytes)) << " in "
                      << fixed(w.seconds, 3) << " s\n";
    };
    if (co.every > 0) {
        step_t next = (sim.current_step() / co.every + 1) * co.every;
        sim.add_slice_observer([&, next](step_t now) mutable {
            if (now < next || now >= until) return;
            checkpoint(now);
            next = (now / co.every + 1) * co.every;
        });
    }
    Progress progress;
    progress.enabled = progress.enabled && root;
    sim.on_slice([&](step_t s) { progress.show(double(s) * meta.dt_ms, meta.t_stop_ms); });
    install_signal_handlers(co.on_signal);
    try {
        run(sim, ctx, meta);
        if (co.on_signal && stop_request.load() != 0 && !meta.completed) checkpoint(sim.current_step());
    } catch (const std::exception& e) {
        // Other ranks may be inside a collective: end the whole job.
        std::cerr << printable_line("apical: error on rank " + std::to_string(ctx.rank()) + ": " +
                                    sentence(e, "simulating"))
                  << "\n";
        MpiSession::abort_all(exit_runtime);
    }
    meta.checkpoints = std::uint64_t(n_checkpoints);
    meta.checkpoint_write_s = checkpoint_s;
    meta.checkpoint_bytes = checkpoint_bytes;
    progress.show(meta.simulated_ms, meta.t_stop_ms, true);
    if (root && timers)
        std::cerr << "apical: timers (s, slowest rank): deliver " << fixed(meta.timer_deliver_s, 3) << ", update "
                  << fixed(meta.timer_update_s, 3) << ", exchange " << fixed(meta.timer_exchange_s, 3) << ", write "
                  << fixed(meta.timer_write_s, 3) << ", checkpoints " << fixed(checkpoint_s, 3) << " ("
                  << n_checkpoints << ", last " << human_bytes(double(checkpoint_bytes)) << "); "
                  << meta.spike_exchange << " exchange: "
                  << human_bytes(double(meta.exchange_bytes_sent) / double(std::max<std::uint64_t>(meta.exchanges, 1)))
                  << " sent per exchange by the busiest rank\n";
    files.finish(meta);
    const int sig = stop_request.load();
    const bool stopped = sig != 0 && !meta.completed;
    if (!root) return stopped ? 128 + sig : exit_ok;
    if (stopped) {
        std::cerr << "apical: stopped by " << signal_name(sig) << " at t = " << meta.simulated_ms << " ms of "
                  << meta.t_stop_ms << " ms; " << files.spike_file().string() << " holds everything up to there";
        if (co.on_signal)
            std::cerr << "; checkpoint " << checkpoint_path(dir, sim.current_step(), spec.simulation.dt_ms).string()
                      << " resumes it (apical resume)";
        std::cerr << "\n";
        return 128 + sig;
    }
    std::cerr << "apical: simulated " << meta.simulated_ms << " ms in " << fixed(meta.simulate_s, 2)
              << " s (build " << fixed(meta.build_s, 2) << " s, " << meta.n_neurons << " neurons, "
              << meta.n_synapses << " synapses, " << ctx.size() << " x " << meta.threads
              << " ranks x threads, peak memory per rank " << human_bytes(double(meta.peak_rss_bytes))
              << "); wrote " << files.spike_file().string() << "\n";
    return exit_ok;
}

int command_run(const std::vector<std::string>& args, bool check_only, DistributedContext& ctx) {
    const bool root = ctx.rank() == 0;
    po::options_description opts(check_only ? "apical check MODEL.yaml|CONFIG.json [options]"
                                            : "apical run MODEL.yaml|CONFIG.json [options]");
    opts.add_options()("help,h", "show this help")
        ("set", po::value<std::vector<std::string>>()->composing(),
         "override a description value: --set key.path=value (repeatable)")
        ("force", "build the network even if its memory estimate exceeds the memory available");
    if (!check_only)
        opts.add_options()("output,o", po::value<std::string>(), "output directory")
            ("threads", po::value<std::string>(), "OpenMP threads")
            ("seed", po::value<std::string>(), "random seed")
            ("t-stop", po::value<std::string>(), "biological time to simulate (ms, or with a unit)");
    if (!check_only) add_simulate_options(opts);
    const po::variables_map vm = parse_arguments(args, opts, "model");
    if (vm.count("help")) {
        if (root) std::cout << opts;
        return exit_ok;
    }
    if (!vm.count("model"))
        throw UserError("apical: expected a description file MODEL.yaml or a SONATA simulation_config.json (see --help)");

    std::vector<std::string> overrides;
    if (vm.count("set")) overrides = vm["set"].as<std::vector<std::string>>();
    if (vm.count("output")) overrides.push_back("simulation.output=" + vm["output"].as<std::string>());
    // The options' texts go to the description layer as they are, so --seed, --threads and
    // --t-stop are checked exactly as the same keys in a file or --set (a --seed of -1 is
    // refused, not wrapped).
    for (auto [option, key] : {std::pair{"threads", "simulation.threads="}, std::pair{"seed", "simulation.seed="},
                               std::pair{"t-stop", "simulation.t_stop="}})
        if (vm.count(option)) overrides.push_back(key + vm[option].as<std::string>());

    const Checkpoint before_build = Checkpoint::now();
    NetworkSpec spec;
    CheckpointOptions co;
    if (int code = report(collective_phase(ctx, phase("reading the description", [&] {
            const std::string model = vm["model"].as<std::string>();
            spec = is_sonata_config(model) ? load_sonata(model, overrides) : load(model, overrides);
            spec.simulation.force_memory = vm.count("force") > 0;
            if (!check_only) {
                check_output_dir(spec);
                co = checkpoint_options(vm, spec.simulation.dt_ms);
            }
        }))))
        return code;
    if (root) {
        for (auto& n : spec.notes) std::cerr << "apical: " << n << "\n";
        for (auto& w : spec.warnings) std::cerr << "warning: " << w << "\n";
    }
    std::unique_ptr<Simulation> sim;
    if (int code = report(collective_phase(
            ctx, phase("building the network", [&] { sim = std::make_unique<Simulation>(spec, ctx); }))))
        return code;
    if (check_only) {
        const MemoryEstimate estimate = estimate_memory(spec, ctx.size(), ctx.rank());
        const MemoryLimit available = available_memory(ctx.ranks_on_node());
        // Counts of this rank (all of them with one rank).
        if (root) print_network(sim->network(), estimate, available, std::cout);
        return exit_ok;
    }
    RunMetadata meta = start_metadata(*sim, ctx, before_build);
    std::unique_ptr<OutputFiles> files;
    if (int code = report(collective_phase(
            ctx, phase("creating the output files", [&] { files = std::make_unique<OutputFiles>(*sim, ctx, meta); }))))
        return code;
    return simulate(*sim, ctx, meta, *files, co, vm.count("timers") > 0);
}

// `apical resume CHECKPOINT.h5 [-o OUTDIR] [--threads N] [--t-stop MS]`: builds the network of
// the checkpoint's description (under any number of ranks and threads), restores its state
// and continues the run; without -o into the original output files, with -o into new ones
// that hold the original's output up to the checkpoint too.
int command_resume(const std::vector<std::string>& args, DistributedContext& ctx) {
    const bool root = ctx.rank() == 0;
    po::options_description opts("apical resume CHECKPOINT.h5 [options]");
    opts.add_options()("help,h", "show this help")
        ("output,o", po::value<std::string>(), "output directory (default: the original run's, continued)")
        ("threads", po::value<std::string>(), "OpenMP threads")
        ("t-stop", po::value<std::string>(), "biological time to simulate to (ms, or with a unit)")
        ("force", "build the network even if its memory estimate exceeds the memory available");
    add_simulate_options(opts);
    const po::variables_map vm = parse_arguments(args, opts, "checkpoint");
    if (vm.count("help")) {
        if (root) std::cout << opts;
        return exit_ok;
    }
    if (!vm.count("checkpoint")) throw UserError("apical resume: expected a checkpoint file CHECKPOINT.h5 (see --help)");
    const std::filesystem::path path = vm["checkpoint"].as<std::string>();
    std::vector<std::string> overrides;
    if (vm.count("output")) overrides.push_back("simulation.output=" + vm["output"].as<std::string>());
    for (auto [option, key] : {std::pair{"threads", "simulation.threads="}, std::pair{"t-stop", "simulation.t_stop="}})
        if (vm.count(option)) overrides.push_back(key + vm[option].as<std::string>());

    const Checkpoint before_build = Checkpoint::now();
    std::unique_ptr<CheckpointFileReader> reader;
    NetworkSpec spec;
    CheckpointOptions co;
    if (int code = report(collective_phase(ctx, phase("reading the checkpoint", [&] {
            reader = std::make_unique<CheckpointFileReader>(path);
            spec = resume_spec(*reader, path, overrides, vm.count("output") > 0);
            spec.simulation.force_memory = vm.count("force") > 0;
            check_output_dir(spec);
            co = checkpoint_options(vm, spec.simulation.dt_ms);
            if (to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms) < reader->info().step)
                throw UserError("apical resume: --t-stop " + format_number(spec.simulation.t_stop_ms) +
                                " ms is before the checkpoint's time, " + format_number(reader->info().t_ms) + " ms");
        }))))
        return code;
    std::unique_ptr<Simulation> sim;
    if (int code = report(collective_phase(
            ctx, phase("building the network", [&] { sim = std::make_unique<Simulation>(spec, ctx); }))))
        return code;
    if (int code = report(collective_phase(ctx, phase("restoring the checkpoint", [&] {
            restore_state(*sim, reader->info().step, *reader);
        }))))
        return code;
    RunMetadata meta = start_metadata(*sim, ctx, before_build);
    const OutputContinuation continuation = continuation_of(reader->info());
    reader.reset();
    std::unique_ptr<OutputFiles> files;
    if (int code = report(collective_phase(ctx, phase("creating the output files", [&] {
            files = std::make_unique<OutputFiles>(*sim, ctx, meta, &continuation);
        }))))
        return code;
    if (root)
        std::cerr << "apical: resuming at t = " << format_number(double(sim->current_step()) * spec.simulation.dt_ms)
                  << " ms\n";
    return simulate(*sim, ctx, meta, *files, co, vm.count("timers") > 0);
}

// `apical info OUTDIR [--json]`: the summary of io/run_summary.hpp, on rank 0 only.
int command_info(const std::vector<std::string>& args, DistributedContext& ctx) {
    po::options_description opts("apical info OUTDIR [options]");
    opts.add_options()("help,h", "show this help")("json", "print the summary as JSON");
    const po::variables_map vm = parse_arguments(args, opts, "outdir");
    if (ctx.rank() != 0) return exit_ok;
    if (vm.count("help")) {
        std::cout << opts;
        return exit_ok;
    }
    if (!vm.count("outdir")) throw UserError("apical info: expected an output directory OUTDIR (see --help)");
    const RunSummary summary = summarize_run(vm["outdir"].as<std::string>());
    std::cout << (vm.count("json") ? summary_json(summary) : summary_table(summary));
    return exit_ok;
}

const char* usage =
    "usage: apical <command> [options]\n"
    "commands:\n"
    "  run MODEL.yaml [-o OUTDIR] [--threads N] [--seed S] [--t-stop MS] [--set key.path=value ...] [--force]\n"
    "                 simulate and write OUTDIR/spikes.h5\n"
    "  check MODEL.yaml [--set key.path=value ...] [--force]\n"
    "                 validate and print the resolved network\n"
    "  run|check CONFIG.json ...\n"
    "                 the same for a SONATA network (its simulation config; --set simulation.* only)\n"
    "  run ... --checkpoint-every TIME --checkpoint-on-signal\n"
    "                 also write checkpoints (every TIME of simulated time; at SIGTERM/SIGUSR1)\n"
    "  resume CHECKPOINT.h5 [-o OUTDIR] [--threads N] [--t-stop MS]\n"
    "                 continue a run from a checkpoint (any number of ranks and threads)\n"
    "  info OUTDIR [--json]\n"
    "                 summarise a run's output: rates, CV of ISIs, events and bursts, metadata\n"
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
        if (command == "resume") return command_resume(args, ctx);
        if (command == "info") return command_info(args, ctx);
        if (ctx.rank() == 0)
            std::cerr << printable_line("apical: unknown command '" + command + "'; expected run, check, resume or info") << "\n"
                      << usage;
        return exit_usage;
    } catch (const UserError& e) {  // argument errors: the same on every rank
        if (ctx.rank() == 0) std::cerr << printable_line(e.what()) << "\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << printable_line("apical: error: " + sentence(e, "running apical " + command)) << "\n";
        return exit_runtime;
    }
}
