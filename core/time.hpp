// Time inside the kernel: integer steps of dt. Milliseconds appear only at the edges
// (description, output files); no time is ever accumulated in floating point.
#pragma once

#include <cmath>
#include <cstdint>

namespace apical {

using step_t = std::int64_t;  // time in integer steps of dt

// The step nearest to a time in ms (the description layer has checked that it fits).
inline step_t to_steps(double ms, double dt) { return std::llround(ms / dt); }

}  // namespace apical
