// Scratch folders for tests. CTest runs test cases side by side, so every TEST_CASE uses a
// folder of its own name.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#ifndef APICAL_TEST_TMP
#define APICAL_TEST_TMP "/tmp/apical_test"
#endif
#ifndef APICAL_SOURCE_DIR
#define APICAL_SOURCE_DIR "."
#endif

namespace apical::test {

// The folder of the scratch folders: APICAL_TEST_TMP, or the environment's
// APICAL_TEST_SCRATCH when set (CTest runs a test executable a second time beside the first,
// e.g. the simd_* runs of tests/CMakeLists.txt, and gives it a folder of its own).
inline std::filesystem::path scratch_root() {
    const char* root = std::getenv("APICAL_TEST_SCRATCH");
    return root && *root ? root : APICAL_TEST_TMP;
}

// A fresh scratch directory for one test.
inline std::filesystem::path scratch(const std::string& name) {
    auto d = scratch_root() / name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

// A path `name` in the (kept) scratch folder `folder`, with no file there yet: for tests
// whose cases write distinct files into one folder.
inline std::filesystem::path scratch_file(const std::string& folder, const std::string& name) {
    const auto dir = scratch_root() / folder;
    std::filesystem::create_directories(dir);
    const auto p = dir / name;
    std::filesystem::remove(p);
    return p;
}

inline std::filesystem::path write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p;
}

}  // namespace apical::test
