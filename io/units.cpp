#include "io/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>

namespace apical {

namespace {

struct Unit {
    const char* name;
    Dimension dim;
    int power;  // value in the internal unit = number * 10^power
};

// Internal units: ms, mV, pA, nS, pF, Hz.
constexpr Unit units[] = {
    {"s", Dimension::time, 3},          {"ms", Dimension::time, 0},        {"us", Dimension::time, -3},
    {"V", Dimension::voltage, 3},       {"mV", Dimension::voltage, 0},     {"uV", Dimension::voltage, -3},
    {"A", Dimension::current, 12},      {"mA", Dimension::current, 9},     {"uA", Dimension::current, 6},
    {"nA", Dimension::current, 3},      {"pA", Dimension::current, 0},     {"S", Dimension::conductance, 9},
    {"mS", Dimension::conductance, 6},  {"uS", Dimension::conductance, 3}, {"nS", Dimension::conductance, 0},
    {"pS", Dimension::conductance, -3}, {"F", Dimension::capacitance, 12}, {"uF", Dimension::capacitance, 6},
    {"nF", Dimension::capacitance, 3},  {"pF", Dimension::capacitance, 0}, {"Hz", Dimension::frequency, 0},
    {"kHz", Dimension::frequency, 3},   {"MHz", Dimension::frequency, 6},
};

const char* example(Dimension d) {
    switch (d) {
    case Dimension::dimensionless: return "0.5";
    case Dimension::time: return "1.5 ms";
    case Dimension::voltage: return "-70 mV";
    case Dimension::current: return "100 pA";
    case Dimension::conductance: return "10 nS";
    case Dimension::capacitance: return "250 pF";
    case Dimension::frequency: return "20 Hz";
    }
    return "";
}

std::string unit_list(Dimension d) {
    std::string s;
    for (auto& u : units)
        if (u.dim == d) s += (s.empty() ? "" : ", ") + std::string(u.name);
    return s;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string quoted(std::string_view s) {
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        if (c == '\n') {
            q += "\\n";
            continue;
        }
        if (c == '\t') {
            q += "\\t";
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20) {
            q += '?';
            continue;
        }
        q += c;
    }
    return q + "\"";
}

// "μ" (Greek mu) and "µ" (micro sign) as the prefix "u".
std::string normalise_micro(std::string_view u) {
    for (std::string_view mu : {std::string_view("\xCE\xBC"), std::string_view("\xC2\xB5")})
        if (u.substr(0, mu.size()) == mu) return "u" + std::string(u.substr(mu.size()));
    return std::string(u);
}

const Unit* find_unit(const std::string& name) {
    for (auto& u : units)
        if (name == u.name) return &u;
    return nullptr;
}

}  // namespace

std::string expected_quantity(Dimension d) {
    if (d == Dimension::dimensionless) return "a number (e.g. \"0.5\")";
    return std::string(dimension_name(d)) + " (e.g. \"" + example(d) + "\")";
}

double parse_quantity(const std::string& text, Dimension expected, bool allow_infinite) {
    const std::string_view s = trim(text);
    const std::string want = expected_quantity(expected);
    if (s.empty()) throw QuantityError(want, "nothing");

    // The number: [+-] digits [. digits] [(e|E) [+-] digits], or an infinity / nan word.
    std::size_t i = 0;
    bool negative = false;
    if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
    std::string mantissa = negative ? "-" : "";
    long long exponent = 0;
    bool infinite = false;
    {
        std::size_t word_end = i;
        while (word_end < s.size() &&
               (std::isalpha(static_cast<unsigned char>(s[word_end])) || s[word_end] == '.'))
            ++word_end;
        const std::string_view word = s.substr(i, word_end - i);
        if (iequals(word, "inf") || iequals(word, "infinity") || iequals(word, ".inf")) {
            infinite = true;
            i = word_end;
        } else if (iequals(word, "nan") || iequals(word, ".nan")) {
            throw QuantityError(want, quoted(s) + " (not a number)");
        }
    }
    if (!infinite) {
        std::size_t digits = 0;
        while (i < s.size() && is_digit(s[i])) {
            mantissa += s[i++];
            ++digits;
        }
        if (i < s.size() && s[i] == '.') {
            mantissa += s[i++];
            while (i < s.size() && is_digit(s[i])) {
                mantissa += s[i++];
                ++digits;
            }
        }
        if (digits == 0) throw QuantityError(want, quoted(s) + " (not a number)");
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            std::size_t j = i + 1;
            bool eneg = false;
            if (j < s.size() && (s[j] == '+' || s[j] == '-')) eneg = s[j++] == '-';
            if (j < s.size() && is_digit(s[j])) {
                while (j < s.size() && is_digit(s[j])) {
                    if (exponent < 100000) exponent = exponent * 10 + (s[j] - '0');
                    ++j;
                }
                if (eneg) exponent = -exponent;
                i = j;
            }
        }
    }

    // The unit.
    std::string_view rest = s.substr(i);
    const bool separated = !rest.empty() && is_space(rest.front());
    rest = trim(rest);
    const Unit* unit = nullptr;
    if (!rest.empty()) {
        unit = find_unit(normalise_micro(rest));
        if (!unit) {
            // Not a unit: trailing garbage after a number, or a unit apical does not know.
            const bool letters_only = [&] {
                for (char c : rest)
                    if (!std::isalpha(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80)
                        return false;
                return true;
            }();
            if (!letters_only || (!separated && infinite))
                throw QuantityError(want, quoted(s) + " (not a number with a unit)");
            std::string found = quoted(s) + " (unknown unit " + quoted(rest) + ")";
            if (expected == Dimension::dimensionless) throw QuantityError(want, found);
            throw QuantityError(want + "; units of " + dimension_name(expected) + ": " + unit_list(expected),
                                found);
        }
        if (unit->dim != expected)
            throw QuantityError(want, quoted(s) + " (" + dimension_name(unit->dim) + ")");
    }

    if (infinite) {
        if (!allow_infinite) throw QuantityError(std::string("a finite ") + want.substr(2), quoted(s));
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }

    // Exact decimal scaling: read "<mantissa>e<exponent + power>" once.
    const long long power = exponent + (unit ? unit->power : 0);
    const std::string number = mantissa + "e" + std::to_string(power);
    double value = 0.0;
    const auto r = std::from_chars(number.data(), number.data() + number.size(), value);
    if (r.ec == std::errc::result_out_of_range) {
        // Too large overflows; too small underflows. A mantissa of zeros is plain zero.
        bool zero = true;
        for (char c : mantissa)
            if (c >= '1' && c <= '9') zero = false;
        if (zero) return negative ? -0.0 : 0.0;
        throw QuantityError(std::string("a finite ") + want.substr(2),
                            quoted(s) + " (out of the range of double precision)");
    }
    if (r.ec != std::errc() || r.ptr != number.data() + number.size())
        throw QuantityError(want, quoted(s) + " (not a number)");
    return value;
}

std::string format_number(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    return std::string(buf, r.ptr);
}

std::string format_quantity(double value, Dimension d) {
    if (d == Dimension::dimensionless) return format_number(value);
    return format_number(value) + " " + internal_unit(d);
}

}  // namespace apical
