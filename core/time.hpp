// Time inside the kernel: integer steps of dt. Milliseconds appear only at the edges
// (description, output files); no time is ever accumulated in floating point.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace apical {

using step_t = std::int64_t;  // time in integer steps of dt

// The largest step number of any time: every step number up to 2^53 is exact as a double
// (a time on file is step * dt), and a run of that many steps never ends in practice.
constexpr double max_step_count = 0x1p53;
// The largest number of steps a model counts in an int (refractory periods, burst
// intervals): the sum of two such counts still fits.
constexpr double max_counter_steps = 0x1p30;

// Whether the step nearest to `ms`, round(ms / dt), is in [0, max_steps] (false for NaN,
// infinity and negative times). The description layer refuses every time that does not fit.
inline bool fits_steps(double ms, double dt, double max_steps = max_step_count) {
    const double s = std::round(ms / dt);
    return s >= 0.0 && s <= max_steps;
}

// The step nearest to a time in ms, halves away from zero; every time converted to steps goes
// through here. The description layer has checked that it fits (fits_steps); what does not
// is an internal error, never a wrapped or undefined step.
inline step_t to_steps(double ms, double dt) {
    APICAL_ASSERT(fits_steps(ms, dt));
    return static_cast<step_t>(std::round(ms / dt));
}

}  // namespace apical
