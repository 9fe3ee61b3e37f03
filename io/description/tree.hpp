// The description as a tree with positions, and the pieces of its messages.
//
// yaml-cpp's nodes are copied into a small tree of our own first, for three reasons:
// aliases (`*neuron`) become independent copies, so an override of one population's
// parameters does not change another's; values given with --set can carry "no position"
// (their errors name "--set"); and duplicate keys, which yaml-cpp 0.7 accepts silently,
// are reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/distribution.hpp"
#include "core/units.hpp"
#include "io/units.hpp"

namespace apical::description {

// Limits of what the loader reads (docs/description.md, "Values"): a description is a
// regular file of at most max_description_bytes, nested at most max_description_depth levels,
// of at most max_description_nodes values once every alias is copied.
constexpr std::uintmax_t max_description_bytes = 16u << 20;
constexpr int max_description_depth = 64;
constexpr std::size_t max_description_nodes = 1'000'000;

struct Pos {
    int line = 0;  // 1-based; 0: the value came from --set
    int column = 0;
};

struct Tree {
    enum class Kind { null, scalar, map, seq };
    struct Entry;
    Kind kind = Kind::null;
    Pos pos;
    std::string text;            // scalar
    std::vector<Entry> entries;  // map, in document order
    std::vector<Tree> items;     // seq

    bool is_null() const { return kind == Kind::null; }
    bool is_scalar() const { return kind == Kind::scalar; }
    bool is_map() const { return kind == Kind::map; }
    bool is_seq() const { return kind == Kind::seq; }
    const Tree* find(const std::string& key) const;
    Tree* find(const std::string& key);
    std::vector<std::string> keys() const;
};

struct Tree::Entry {
    std::string key;
    Pos key_pos;
    Tree value;
};

// Raises errors at positions of one description file and collects its warnings.
class Messages {
public:
    explicit Messages(std::string file) : file_(std::move(file)) {}
    const std::string& file() const { return file_; }

    // DescriptionError "file:line:col: path: expected ..., found ..." (file "--set" and no
    // position for values given with --set).
    [[noreturn]] void fail(Pos p, const std::string& path, const std::string& expected,
                           const std::string& found) const;
    // "file:line:col: path: what" into `warnings`.
    void warn(Pos p, const std::string& path, const std::string& what,
              std::vector<std::string>& warnings) const;

    // The YAML text as a tree (one document; a syntax error is a DescriptionError).
    Tree parse_text(const std::string& text) const;
    // A YAML node given with --set at `path`, without positions.
    Tree parse_value(const std::string& text, const std::string& path) const;

private:
    std::string file_;
};

// Message pieces.
std::string quote(std::string_view s);  // "\"text\"", escaped, at most 80 chars
std::string one_line(std::string s);    // the CLI prints one line per error
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");
std::string one_of(const std::vector<std::string>& v);  // "(one of: a, b)"
std::string describe(const Tree& t);                    // "nothing", "\"x\"", "a mapping", "a list"
// " (did you mean X?)" when one valid name is close to `name`, else "".
std::string suggestion(const std::string& name, const std::vector<std::string>& valid);
std::string key_path(const std::string& path, const std::string& key);  // "a.b"
std::string index_path(const std::string& path, std::size_t i);         // "a[3]"
std::string_view trim(std::string_view s);
inline std::string q(double v, Dimension d) { return format_quantity(v, d); }
// The decimal a product such as steps * dt was meant to be (3 * 0.1 -> 0.3).
double tidy(double x);
// A distribution in words ("a normal distribution (mean 1 ms, std 0.5 ms) without min").
std::string describe(const Distribution& d, Dimension dim);
// "a uniform distribution on [a, b)", "a normal distribution (mean m, std s)", ... (no bounds).
std::string describe_kind(const Distribution& d, Dimension dim);
const char* distribution_name(Distribution::Kind k);

}  // namespace apical::description
