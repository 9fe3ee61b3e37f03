// Time inside the kernel: integer steps of dt. Milliseconds appear only at the edges
// (description, output files); no time is ever accumulated in floating point.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

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

// A time off the grid: (step + offset) * dt with offset in [0, 1) (the Spike record's fields).
struct ExactTime {
    step_t step;
    float offset;
};

// Times within this fraction of a step (plus the rounding of the division) of a grid point are
// on it: what divisions such as 1.1 / 0.1 = 11.000000000000002 leave over is not a position
// inside a step.
constexpr double on_grid_tolerance = 1e-9;

// A number of steps x, or the whole number it is within on_grid_tolerance of.
inline double snap_to_grid(double x) {
    const double whole = std::round(x);
    return std::abs(x - whole) <= on_grid_tolerance + 8 * std::numeric_limits<double>::epsilon() * std::abs(x) ? whole : x;
}

// The exact time of `ms` (>= 0, checked to fit by the caller with fits_steps): the step that
// begins at or before it and the position inside that step, in single precision (as stored in
// a Spike; an offset that rounds to 1 becomes the next step).
inline ExactTime exact_time(double ms, double dt) {
    APICAL_ASSERT(fits_steps(ms, dt));
    const double x = snap_to_grid(ms / dt);
    const double below = std::floor(x);
    const float offset = static_cast<float>(x - below);
    if (offset >= 1.0f) return {static_cast<step_t>(below) + 1, 0.0f};
    return {static_cast<step_t>(below), offset};
}

}  // namespace apical
