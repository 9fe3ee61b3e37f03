// Running the apical executable from tests: exit code and standard error. For the
// command line's own contract (exit codes, messages, signals, MPI launches); tests that only
// need a run's output run it in-process (run_in_process.hpp).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "scratch.hpp"

#ifndef APICAL_EXE
#define APICAL_EXE "apical"
#endif

namespace apical::test {

struct CommandResult {
    int exit_code;
    std::string err;  // standard error (standard output for run_apical_capturing(args, 1))
};

// What `apical args` wrote to `stream` (1: standard output, 2: standard error; the other
// is discarded), and the exit code.
inline CommandResult run_apical_capturing(const std::string& args, int stream) {
    const std::string redirect = stream == 2 ? " 2>&1 >/dev/null" : " 2>/dev/null";
    FILE* p = popen((std::string(APICAL_EXE) + " " + args + redirect).c_str(), "r");
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

inline CommandResult run_apical(const std::string& args) { return run_apical_capturing(args, 2); }

}  // namespace apical::test
