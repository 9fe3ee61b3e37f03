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
    std::string err;  // standard error
};

inline CommandResult run_apical(const std::string& args) {
    const std::string cmd = std::string(APICAL_EXE) + " " + args + " 2>&1 >/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace apical::test
