// Copies of the published SONATA circuits of tests/data/sonata into a scratch folder, for tests
// that break or change one file (the configs refer to sibling folders, copied along).
#pragma once

#include <filesystem>

namespace apical::test {

// point_120cells and its parameter folder ../point_components, without the reference output.
inline std::filesystem::path copy_point120(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    const fs::path data = APICAL_SONATA_REFERENCE_DIR;
    fs::copy(data / "point_120cells", dir / "point_120cells", fs::copy_options::recursive);
    fs::copy(data / "point_components", dir / "point_components", fs::copy_options::recursive);
    fs::remove_all(dir / "point_120cells" / "reference_nest-3.9");
    return dir / "point_120cells" / "config.simulation.json";
}

// 300_intfire and its parameter folder ../components, without the reference output.
inline std::filesystem::path copy_intfire(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    const fs::path data = APICAL_SONATA_REFERENCE_DIR;
    fs::copy(data / "300_intfire", dir / "300_intfire", fs::copy_options::recursive);
    fs::copy(data / "components", dir / "components", fs::copy_options::recursive);
    fs::remove_all(dir / "300_intfire" / "output");
    return dir / "300_intfire" / "config.json";
}

}  // namespace apical::test
