// Error types of apical. Two roots: UserError (a bad description, bad arguments or an
// unusable output path: the CLI prints one line and exits 2) and RuntimeFailure (something
// failed while running: exit 1). Internal bugs are std::logic_error via APICAL_ASSERT.
#pragma once

#include <stdexcept>
#include <string>

namespace apical {

// Anything the user can fix by changing the description or the command line.
class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// `s` with every control character (a newline in a file name, say) replaced by '?': an error
// is printed as exactly one line.
inline std::string printable_line(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s;
}

// A located error in a description file:
//   file:line:column: key.path: expected ..., found ...
// line and column are 1-based; 0 means "unknown" and is left out of the message.
class DescriptionError : public UserError {
public:
    DescriptionError(std::string file, int line, int column, std::string key_path,
                     std::string expected, std::string found)
        : UserError(format(file, line, column, key_path, expected, found)),
          file_(std::move(file)), line_(line), column_(column),
          key_path_(std::move(key_path)), expected_(std::move(expected)),
          found_(std::move(found)) {}

    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int column() const { return column_; }
    const std::string& key_path() const { return key_path_; }
    const std::string& expected() const { return expected_; }
    const std::string& found() const { return found_; }

    static std::string format(const std::string& file, int line, int column,
                              const std::string& key_path, const std::string& expected,
                              const std::string& found) {
        // Appends only: GCC 12 reports a false -Wrestrict on "literal" + string here.
        std::string msg = file.empty() ? std::string("<description>") : file;
        if (line > 0) msg.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
        msg.append(": ");
        if (!key_path.empty()) msg.append(key_path).append(": ");
        msg.append("expected ").append(expected).append(", found ").append(found);
        return printable_line(std::move(msg));
    }

private:
    std::string file_;
    int line_;
    int column_;
    std::string key_path_;
    std::string expected_;
    std::string found_;
};

// Thrown on a rank whose own part succeeded when another rank failed at the same point;
// that rank reports the error, this one only stops.
class PeerFailure : public UserError {
public:
    PeerFailure() : UserError("another rank failed") {}
};

// A failure while running (I/O error during the run, out of memory, ...): exit code 1.
class RuntimeFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace apical

#define APICAL_ASSERT(cond)                                                                 \
    do {                                                                                    \
        if (!(cond))                                                                        \
            throw std::logic_error(std::string("internal error: ") + #cond + " at " +     \
                                   __FILE__ + ":" + std::to_string(__LINE__));             \
    } while (0)
