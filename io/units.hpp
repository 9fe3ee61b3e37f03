// Quantities with units at the edge of apical: "1.5 ms", "-70mV", "0.5 nA", "20 kHz".
// Inside the kernel every quantity is a plain double in the internal unit of its dimension
// (ms, mV, pA, nS, pF, Hz; core/units.hpp). This file turns text into such doubles and back.
//
// Accepted units (case-sensitive; "u", "μ" (U+03BC) and "µ" (U+00B5) all mean micro):
//   time         s ms us            voltage      V mV uV
//   current      A mA uA nA pA      conductance  S mS uS nS pS
//   capacitance  F uF nF pF         frequency    Hz kHz MHz
// A number without a unit is in the internal unit; a dimensionless quantity is a bare number.
// Numbers are read in the "C" locale whatever the process locale is; conversion is exact
// decimal scaling ("1e-3 s" is exactly 1 ms, "0.1 us" exactly the double nearest 1e-4 ms).
#pragma once

#include <stdexcept>
#include <string>

#include "core/units.hpp"

namespace apical {

// Why a text is not a quantity of the expected dimension, in the two halves of a
// DescriptionError ("expected <expected>, found <found>"); the description layer adds the
// file position and the key path. what() is "expected ..., found ...".
class QuantityError : public std::runtime_error {
public:
    QuantityError(std::string expected, std::string found)
        : std::runtime_error("expected " + expected + ", found " + found),
          expected_(std::move(expected)),
          found_(std::move(found)) {}
    const std::string& expected() const { return expected_; }
    const std::string& found() const { return found_; }

private:
    std::string expected_;
    std::string found_;
};

// The value of `text` in the internal unit of `expected`. Throws QuantityError for an empty
// text, a malformed number, trailing garbage, an unknown unit, a unit of another dimension,
// nan, and infinities unless `allow_infinite` ("inf", "-inf", ".inf", "-.inf", "infinity",
// each with or without a unit; for parameters such as V_min whose natural value is -inf).
// Example: parse_quantity("0.5 nA", Dimension::current) == 500.
double parse_quantity(const std::string& text, Dimension expected, bool allow_infinite = false);

// What a dimension looks like in messages: "a voltage (e.g. \"-70 mV\")".
std::string expected_quantity(Dimension d);

// The shortest decimal text that reads back as exactly `value` ("0.1", "1e-05", "-inf").
std::string format_number(double value);

// `value` (internal unit) as a quantity text that parse_quantity reads back exactly:
// format_quantity(20, Dimension::time) == "20 ms"; dimensionless: the bare number.
std::string format_quantity(double value, Dimension d);

}  // namespace apical
