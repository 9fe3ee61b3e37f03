// The description tree, built from yaml-cpp's nodes, and the pieces of its messages.
#include "io/description/tree.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <string>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "core/error.hpp"

namespace apical::description {

const Tree* Tree::find(const std::string& key) const {
    for (auto& e : entries)
        if (e.key == key) return &e.value;
    return nullptr;
}

Tree* Tree::find(const std::string& key) {
    for (auto& e : entries)
        if (e.key == key) return &e.value;
    return nullptr;
}

std::vector<std::string> Tree::keys() const {
    std::vector<std::string> k;
    for (auto& e : entries) k.push_back(e.key);
    return k;
}

std::string quote(std::string_view s) {
    std::string q = "\"";
    std::size_t n = 0;
    for (char c : s) {
        if (++n > 80) {
            q += "...";
            break;
        }
        if (c == '"' || c == '\\') q += '\\';
        if (c == '\n')
            q += "\\n";
        else if (c == '\t')
            q += "\\t";
        else if (static_cast<unsigned char>(c) < 0x20)
            q += '?';
        else
            q += c;
    }
    return q + "\"";
}

// Messages are one line (the CLI prints exactly one line per error).
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

std::string one_of(const std::vector<std::string>& v) {
    return v.empty() ? "(there are none)" : "(one of: " + join(v) + ")";
}

std::string describe(const Tree& t) {
    switch (t.kind) {
    case Tree::Kind::null: return "nothing";
    case Tree::Kind::scalar: return quote(t.text);
    case Tree::Kind::map: return "a mapping";
    case Tree::Kind::seq: return "a list";
    }
    return "";
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

}  // namespace

// " (did you mean X?)" when one valid name is close to `name`.
std::string suggestion(const std::string& name, const std::vector<std::string>& valid) {
    // Up to one edit per three letters (at most 3); names of one or two letters only
    // differing in case.
    std::string best;
    std::size_t best_d =
        (name.size() <= 2 ? 0 : std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 3))) + 1;
    for (auto& v : valid) {
        const std::size_t d = edit_distance(name, v);
        if (d < best_d) {
            best_d = d;
            best = v;
        }
    }
    return best.empty() ? "" : " (did you mean " + best + "?)";
}

// A key that is empty, longer than quote() keeps or holds a quote, a backslash or a control
// character (a newline would break the one-line message) is quoted and escaped.
std::string key_path(const std::string& path, const std::string& key) {
    const bool plain = !key.empty() && key.size() <= 80 && std::none_of(key.begin(), key.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f || c == '"' || c == '\\';
    });
    const std::string k = plain ? key : quote(key);
    return path.empty() ? k : path + "." + k;
}

std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The decimal a product such as steps * dt was meant to be (3 * 0.1 -> 0.3).
double tidy(double x) {
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, 15).ptr;
    double y = x;
    std::from_chars(buf, end, y);  // both locale-independent
    return y;
}

const char* distribution_name(Distribution::Kind k) {
    switch (k) {
    case Distribution::Kind::constant: return "constant";
    case Distribution::Kind::uniform: return "uniform";
    case Distribution::Kind::normal: return "normal";
    case Distribution::Kind::lognormal: return "lognormal";
    }
    return "";
}

std::string describe_kind(const Distribution& d, Dimension dim) {
    std::string s;
    switch (d.kind) {
    case Distribution::Kind::constant: return q(d.value, dim);
    case Distribution::Kind::uniform:
        s = "a uniform distribution on [" + q(d.low, dim) + ", " + q(d.high, dim) + ")";
        break;
    case Distribution::Kind::normal:
        s = "a normal distribution (mean " + q(d.mean, dim) + ", std " + q(d.std, dim) + ")";
        break;
    case Distribution::Kind::lognormal:
        s = "a lognormal distribution (mean " + q(d.mean, dim) + ", std " + q(d.std, dim) + ")";
        break;
    }
    return s;
}

std::string describe(const Distribution& d, Dimension dim) {
    if (d.is_constant()) return q(d.value, dim);
    return describe_kind(d, dim) + (d.min ? " with min " + q(*d.min, dim) : " without min");
}

void Messages::fail(Pos p, const std::string& path, const std::string& expected,
                    const std::string& found) const {
    throw DescriptionError(p.line > 0 ? file_ : "--set", p.line, p.column, path, one_line(expected),
                           one_line(found));
}

void Messages::warn(Pos p, const std::string& path, const std::string& what,
                    std::vector<std::string>& warnings) const {
    const std::string where = p.line > 0 ? file_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column)
                                         : std::string("--set");
    warnings.push_back(where + ": " + path + ": " + what);
}

namespace {

Pos pos_of(const YAML::Mark& m) {
    if (m.is_null()) return {};
    return {m.line + 1, m.column + 1};
}

// Copies yaml-cpp's nodes into a Tree. Aliases are copied, so a few nested anchors can
// stand for billions of nodes ("billion laughs"): the copy stops at max_description_nodes.
// Duplicate keys are found through a hash of each mapping's keys (linear in its size; a scan
// per key made a mapping of 200,000 entries take a minute).
class Converter {
public:
    Converter(const Messages& m, bool from_set) : m_(m), from_set_(from_set) {}

    Tree convert(const YAML::Node& n, const std::string& path, int depth) {
        Tree t;
        t.pos = from_set_ ? Pos{} : pos_of(n.Mark());
        if (depth > max_description_depth)
            m_.fail(t.pos, path, "a description nested at most " + std::to_string(max_description_depth) + " levels deep",
                    "deeper nesting");
        if (++nodes_ > max_description_nodes)
            m_.fail(t.pos, path,
                    "a description of at most " + std::to_string(max_description_nodes) +
                        " values after alias expansion (every alias is a copy of its anchor)",
                    "more (too many aliases of large anchors?)");
        switch (n.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null: t.kind = Tree::Kind::null; break;
        case YAML::NodeType::Scalar:
            t.kind = Tree::Kind::scalar;
            t.text = n.Scalar();
            break;
        case YAML::NodeType::Sequence: {
            t.kind = Tree::Kind::seq;
            std::size_t i = 0;
            for (const auto& item : n) t.items.push_back(convert(item, index_path(path, i++), depth + 1));
            break;
        }
        case YAML::NodeType::Map: {
            t.kind = Tree::Kind::map;
            std::unordered_map<std::string, std::size_t> seen;  // key -> index in t.entries
            for (const auto& kv : n) {
                const Pos kp = from_set_ ? Pos{} : pos_of(kv.first.Mark());
                if (!kv.first.IsScalar())
                    m_.fail(kp, path, "a name as each key of a mapping",
                            kv.first.IsMap()        ? "a mapping as a key"
                            : kv.first.IsSequence() ? "a list as a key"
                                                    : "an empty key");
                const std::string key = kv.first.Scalar();
                if (auto [it, fresh] = seen.emplace(key, t.entries.size()); !fresh) {
                    const Pos first = t.entries[it->second].key_pos;
                    m_.fail(kp, key_path(path, key), "each key once in a mapping",
                            quote(key) + " a second time" +
                                (first.line > 0 ? " (first at line " + std::to_string(first.line) + ")" : ""));
                }
                t.entries.push_back({key, kp, convert(kv.second, key_path(path, key), depth + 1)});
            }
            break;
        }
        }
        return t;
    }

private:
    const Messages& m_;
    bool from_set_;
    std::size_t nodes_ = 0;
};

}  // namespace

Tree Messages::parse_text(const std::string& text) const {
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(text);
    } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own limit, far beyond ours
        throw DescriptionError(file_, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                               "", "a description nested at most " + std::to_string(max_description_depth) + " levels deep",
                               "nesting more than " + std::to_string(e.depth()) + " levels deep");
    } catch (const YAML::ParserException& e) {
        throw DescriptionError(file_, e.mark.is_null() ? 0 : e.mark.line + 1,
                               e.mark.is_null() ? 0 : e.mark.column + 1, "", "well-formed YAML",
                               one_line("a syntax error (" + e.msg + ")"));
    } catch (const YAML::Exception& e) {
        throw DescriptionError(file_, 0, 0, "", "well-formed YAML", one_line("an error (" + e.msg + ")"));
    }
    for (std::size_t i = 1; i < docs.size(); ++i)
        if (!docs[i].IsNull()) fail(pos_of(docs[i].Mark()), "", "one YAML document", "a second document");
    if (docs.empty()) return Tree{};
    return Converter(*this, false).convert(docs[0], "", 0);
}

Tree Messages::parse_value(const std::string& text, const std::string& path) const {
    Tree t;
    if (text.empty()) return t;
    try {
        return Converter(*this, true).convert(YAML::Load(text), path, 0);
    } catch (const YAML::Exception&) {
        t.kind = Tree::Kind::scalar;  // not YAML: the text itself
        t.text = text;
    }
    return t;
}

}  // namespace apical::description
