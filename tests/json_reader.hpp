// A small strict JSON reader for tests (RFC 8259: objects, arrays, strings with escapes,
// numbers, true, false, null), so that tests parse what `apical info --json` prints instead
// of searching its text. Throws std::runtime_error at the first error, with its offset.
#pragma once

#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace apical::test {

struct Json {
    enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Json> array;
    std::map<std::string, Json> object;

    bool is_null() const { return kind == Kind::null; }
    // The member `key` of an object; throws if this is not an object or has no such key.
    const Json& operator[](const std::string& key) const {
        if (kind != Kind::object) throw std::runtime_error("not a JSON object (looking for '" + key + "')");
        auto it = object.find(key);
        if (it == object.end()) throw std::runtime_error("no member '" + key + "'");
        return it->second;
    }
};

class JsonReader {
public:
    static Json parse(const std::string& text) {
        JsonReader r(text);
        Json v = r.value();
        r.skip_space();
        if (r.pos_ != text.size()) r.fail("text after the value");
        return v;
    }

private:
    explicit JsonReader(const std::string& t) : t_(t) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(pos_));
    }
    void skip_space() {
        while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\r' || t_[pos_] == '\t')) ++pos_;
    }
    void expect(char c) {
        skip_space();
        if (pos_ >= t_.size() || t_[pos_] != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    bool literal(const char* word) {
        const std::string w = word;
        if (t_.compare(pos_, w.size(), w) != 0) return false;
        pos_ += w.size();
        return true;
    }

    Json value() {
        skip_space();
        if (pos_ >= t_.size()) fail("unexpected end");
        Json v;
        const char c = t_[pos_];
        if (c == '{') {
            v.kind = Json::Kind::object;
            ++pos_;
            skip_space();
            if (pos_ < t_.size() && t_[pos_] == '}') { ++pos_; return v; }
            do {
                skip_space();
                const std::string key = string_value();
                expect(':');
                if (!v.object.emplace(key, value()).second) fail("duplicate key '" + key + "'");
                skip_space();
            } while (pos_ < t_.size() && t_[pos_] == ',' && ++pos_);
            expect('}');
        } else if (c == '[') {
            v.kind = Json::Kind::array;
            ++pos_;
            skip_space();
            if (pos_ < t_.size() && t_[pos_] == ']') { ++pos_; return v; }
            do {
                v.array.push_back(value());
                skip_space();
            } while (pos_ < t_.size() && t_[pos_] == ',' && ++pos_);
            expect(']');
        } else if (c == '"') {
            v.kind = Json::Kind::string;
            v.string = string_value();
        } else if (literal("true")) {
            v.kind = Json::Kind::boolean;
            v.boolean = true;
        } else if (literal("false")) {
            v.kind = Json::Kind::boolean;
        } else if (literal("null")) {
        } else {
            v.kind = Json::Kind::number;
            const std::size_t start = pos_;
            if (t_[pos_] == '-') ++pos_;
            if (pos_ >= t_.size() || t_[pos_] < '0' || t_[pos_] > '9') fail("expected a value");
            while (pos_ < t_.size() && std::string("0123456789.eE+-").find(t_[pos_]) != std::string::npos) ++pos_;
            const std::string number = t_.substr(start, pos_ - start);
            char* end = nullptr;
            v.number = std::strtod(number.c_str(), &end);
            if (end != number.c_str() + number.size()) fail("malformed number '" + number + "'");
        }
        return v;
    }

    std::string string_value() {
        if (pos_ >= t_.size() || t_[pos_] != '"') fail("expected a string");
        ++pos_;
        std::string out;
        while (true) {
            if (pos_ >= t_.size()) fail("unterminated string");
            const char c = t_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') { out += c; continue; }
            if (pos_ >= t_.size()) fail("unterminated escape");
            const char e = t_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if (pos_ + 4 > t_.size()) fail("short \\u escape");
                const unsigned code = unsigned(std::stoul(t_.substr(pos_, 4), nullptr, 16));
                pos_ += 4;
                if (code >= 0x80) fail("\\u escape beyond ASCII (not needed by these tests)");
                out += char(code);
                break;
            }
            default: fail(std::string("unknown escape \\") + e);
            }
        }
    }

    const std::string& t_;
    std::size_t pos_ = 0;
};

}  // namespace apical::test
