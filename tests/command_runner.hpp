// Running a shell command from tests: its exit code and what it wrote to standard output
// (redirect inside the command to capture standard error).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace apical::test {

struct CommandResult {
    int exit_code;  // 128 + signal number when a signal ended it
    std::string err;  // what the command wrote to its standard output
};

inline CommandResult run_command(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace apical::test
