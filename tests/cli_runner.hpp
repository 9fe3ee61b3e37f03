// Running the apical executable from tests: exit code and standard error. For the
// command line's own contract (exit codes, messages, signals, MPI launches); tests that only
// need a run's output run it in-process (run_in_process.hpp).
#pragma once

#include <string>

#include "command_runner.hpp"
#include "scratch.hpp"

#ifndef APICAL_EXE
#define APICAL_EXE "apical"
#endif

namespace apical::test {

// What `apical args` wrote to `stream` (1: standard output, 2: standard error; the other
// is discarded), and the exit code.
inline CommandResult run_apical_capturing(const std::string& args, int stream) {
    const std::string redirect = stream == 2 ? " 2>&1 >/dev/null" : " 2>/dev/null";
    return run_command(std::string(APICAL_EXE) + " " + args + redirect);
}

inline CommandResult run_apical(const std::string& args) { return run_apical_capturing(args, 2); }

// mpiexec as the tests start it, followed by " -n N ...": Open MPI refuses to start as root
// unless both variables are set; OpenMP threads wait passively (ranks may outnumber cores).
inline const std::string mpiexec_options = "--quiet --oversubscribe --bind-to none";
inline const std::string mpiexec =
    "timeout 300 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=PASSIVE mpiexec " +
    mpiexec_options;

}  // namespace apical::test
