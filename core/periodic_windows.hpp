// Windows that repeat with a period, in steps: the schedules of protocols that present
// examples one after another (docs/description.md, "Periodic schedules").
//
// From `origin` on, time is cut into cycles of `period` steps; cycle k covers
// [origin + k period, origin + (k + 1) period). Inside every cycle the same windows
// [w0, w1) of offsets (0 <= w0 < w1 <= period, ascending, disjoint) are on. Nothing is on
// before `origin` or from `end` on. So t is on iff origin <= t < end and
// (t - origin) mod period lies in one of the windows.
#pragma once

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace apical {

struct PeriodicWindows {
    step_t period = 0;  // 0: no periodic windows
    step_t origin = 0;
    step_t end = std::numeric_limits<step_t>::max();
    std::vector<std::pair<step_t, step_t>> windows;  // offsets inside a cycle, [w0, w1)

    bool empty() const { return period == 0; }
    // The cycle of t (t >= origin).
    step_t cycle(step_t t) const { return (t - origin) / period; }
    // The offset of t inside its cycle (t >= origin).
    step_t offset(step_t t) const { return (t - origin) % period; }
    // The index of the window t lies in, or -1.
    int window_of(step_t t) const {
        if (period <= 0 || t < origin || t >= end) return -1;
        const step_t x = offset(t);
        for (std::size_t w = 0; w < windows.size(); ++w)
            if (x >= windows[w].first && x < windows[w].second) return int(w);
        return -1;
    }
    bool contains(step_t t) const { return window_of(t) >= 0; }
};

}  // namespace apical
