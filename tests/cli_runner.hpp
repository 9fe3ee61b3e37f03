// Running the apical executable from tests: exit code and standard error.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#ifndef APICAL_EXE
#define APICAL_EXE "apical"
#endif
#ifndef APICAL_TEST_TMP
#define APICAL_TEST_TMP "/tmp/apical_test"
#endif
#ifndef APICAL_SOURCE_DIR
#define APICAL_SOURCE_DIR "."
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

// A fresh scratch directory for one test.
inline std::filesystem::path scratch(const std::string& name) {
    auto d = std::filesystem::path(APICAL_TEST_TMP) / name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

inline std::filesystem::path write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p;
}

}  // namespace apical::test
