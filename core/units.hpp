// Physical dimensions of quantities. Inside the kernel every quantity is a plain double in
// fixed internal units: ms, mV, pA, nS, pF, Hz (and MOhm, the unit of mV/pA, if needed).
// Unit strings are parsed only at the edge (io/units.hpp).
#pragma once

#include <string>

namespace apical {

enum class Dimension { dimensionless, time, voltage, current, conductance, capacitance, frequency };

// The internal unit of a dimension, as written in messages and metadata ("ms", "mV", ...).
inline const char* internal_unit(Dimension d) {
    switch (d) {
    case Dimension::dimensionless: return "";
    case Dimension::time: return "ms";
    case Dimension::voltage: return "mV";
    case Dimension::current: return "pA";
    case Dimension::conductance: return "nS";
    case Dimension::capacitance: return "pF";
    case Dimension::frequency: return "Hz";
    }
    return "";
}

inline const char* dimension_name(Dimension d) {
    switch (d) {
    case Dimension::dimensionless: return "a dimensionless number";
    case Dimension::time: return "a time";
    case Dimension::voltage: return "a voltage";
    case Dimension::current: return "a current";
    case Dimension::conductance: return "a conductance";
    case Dimension::capacitance: return "a capacitance";
    case Dimension::frequency: return "a frequency";
    }
    return "";
}

}  // namespace apical
