// JSON configs, type CSVs and HDF5 row reads of SONATA networks (see files.hpp).
#include "io/sonata/files.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace apical::sonata {

void bad(const fs::path& file, const std::string& object, const std::string& what) {
    throw UserError(printable_line(file.string() + ": " + (object.empty() ? "" : object + ": ") + what));
}

// ---- JSON --------------------------------------------------------------------------------

YAML::Node read_json(const fs::path& path, const std::string& what) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) bad(path, "", what + " not found (no such file)");
    std::ifstream in(path);
    if (!in) bad(path, "", what + " cannot be opened for reading");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
        bad(path, "line " + std::to_string(e.mark.line + 1), what + " is not valid JSON: " + e.msg);
    }
}

namespace {

// Replaces $NAME and ${NAME} by their values; unknown names are an error.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars, const fs::path& file,
                       const std::string& key) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        std::string name;
        std::size_t j = i + 1;
        if (j < text.size() && text[j] == '{') {
            const std::size_t close = text.find('}', j);
            if (close == std::string::npos) bad(file, key, "an unclosed ${ in \"" + text + "\"");
            name = text.substr(j + 1, close - j - 1);
            j = close + 1;
        } else {
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
                name += text[j++];
        }
        auto it = vars.find(name);
        if (it == vars.end()) bad(file, key, "unknown manifest variable $" + name + " in \"" + text + "\"");
        out += it->second;
        i = j;
    }
    return out;
}

}  // namespace

JsonFile read_config(const fs::path& path, const std::string& what) {
    JsonFile f;
    f.path = path;
    f.dir = fs::absolute(path).parent_path();
    f.root = read_json(path, what);
    if (!f.root.IsMap()) bad(path, "", what + " is not a JSON object");
    std::map<std::string, std::string> raw;
    if (const YAML::Node m = f.root["manifest"]) {
        if (!m.IsMap()) bad(path, "manifest", "expected an object of \"$NAME\": \"value\"");
        for (auto it = m.begin(); it != m.end(); ++it) {
            std::string k = it->first.as<std::string>();
            if (!k.starts_with("$")) bad(path, "manifest." + k, "a manifest key starts with $");
            k = k.substr(1);
            if (k.size() > 1 && k.front() == '{' && k.back() == '}') k = k.substr(1, k.size() - 2);
            if (!it->second.IsScalar()) bad(path, "manifest.$" + k, "expected a string");
            raw[k] = it->second.as<std::string>();
        }
    }
    // Expand until no '$' is left; as many rounds as variables at most (more is a cycle).
    f.manifest = raw;
    f.manifest["configdir"] = f.dir.string();
    for (std::size_t round = 0;; ++round) {
        bool any = false;
        for (auto& [k, v] : f.manifest)
            if (v.find('$') != std::string::npos) {
                v = substitute(v, f.manifest, path, "manifest.$" + k);
                any = true;
            }
        if (!any) break;
        if (round > f.manifest.size()) bad(path, "manifest", "the variables refer to each other in a cycle");
    }
    return f;
}

std::string expand(const JsonFile& f, const std::string& text, const std::string& key) {
    return text.find('$') == std::string::npos ? text : substitute(text, f.manifest, f.path, key);
}

std::string text_of(const JsonFile& f, const YAML::Node& value, const std::string& key) {
    if (!value || !value.IsScalar()) bad(f.path, key, "expected a string");
    return expand(f, value.as<std::string>(), key);
}

fs::path config_path(const JsonFile& f, const YAML::Node& value, const std::string& key) {
    const fs::path p(text_of(f, value, key));
    return (p.is_absolute() ? p : f.dir / p).lexically_normal();
}

double number_of(const fs::path& file, const YAML::Node& value, const std::string& key) {
    if (!value || !value.IsScalar()) bad(file, key, "expected a number");
    const std::string t = value.as<std::string>();
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(t, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != t.size()) bad(file, key, "expected a number, found \"" + t + "\"");
    return v;
}

// ---- CSV ---------------------------------------------------------------------------------

namespace {

// The fields of one line: separated by runs of spaces (or tabs), "..." quoted with "" for a
// quote inside.
std::vector<std::string> split_fields(const std::string& line, const fs::path& file, int number) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (true) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size()) break;
        std::string field;
        if (line[i] == '"') {
            ++i;
            while (true) {
                if (i >= line.size()) bad(file, "line " + std::to_string(number), "an unclosed quote");
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += line[i++];
            }
        } else {
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') field += line[i++];
        }
        out.push_back(field);
    }
    return out;
}

}  // namespace

int TypeTable::column(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return int(i);
    return -1;
}

std::optional<std::string> TypeTable::value(std::int64_t id, const std::string& name) const {
    const int c = column(name);
    auto it = rows.find(id);
    if (c < 0 || it == rows.end()) return std::nullopt;
    return it->second[std::size_t(c)];
}

TypeTable read_type_table(const fs::path& path, const std::string& id_column) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) bad(path, "", "types file not found (no such file)");
    std::ifstream in(path);
    if (!in) bad(path, "", "types file cannot be opened for reading");
    TypeTable t;
    t.path = path;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> fields = split_fields(line, path, number);
        if (fields.empty()) continue;  // blank lines
        if (t.columns.empty()) {
            t.columns = fields;
            if (t.column(id_column) < 0) bad(path, "line " + std::to_string(number), "no column " + id_column + " in the header");
            continue;
        }
        if (fields.size() != t.columns.size())
            bad(path, "line " + std::to_string(number),
                "expected " + std::to_string(t.columns.size()) + " columns (as the header), found " +
                    std::to_string(fields.size()));
        const std::string& id_text = fields[std::size_t(t.column(id_column))];
        std::size_t used = 0;
        std::int64_t id = 0;
        try {
            id = std::stoll(id_text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != id_text.size())
            bad(path, "line " + std::to_string(number), id_column + " is not an integer: \"" + id_text + "\"");
        if (t.rows.count(id)) bad(path, "line " + std::to_string(number), id_column + " " + id_text + " listed twice");
        std::vector<std::optional<std::string>> row;
        for (auto& f : fields)
            row.push_back(f == "NULL" || f == "None" || f == "NONE" ? std::nullopt : std::optional<std::string>(f));
        t.rows.emplace(id, std::move(row));
    }
    if (t.columns.empty()) bad(path, "", "an empty types file (no header row)");
    return t;
}

// ---- HDF5 --------------------------------------------------------------------------------

Ranges ranges_of(const std::vector<std::uint64_t>& rows) {
    Ranges out;
    for (std::uint64_t r : rows) {
        if (!out.empty() && out.back().second == r)
            ++out.back().second;
        else if (out.empty() || out.back().second < r)
            out.push_back({r, r + 1});
    }
    return out;
}

namespace {

// Rows [a, b) of a dataset of `width` columns (1: 1-D; 2: [n, 2]) into `out`, in one
// contiguous selection.
void read_span(hid_t dataset, hid_t space, int width, std::uint64_t a, std::uint64_t b, hid_t mem_type, void* out) {
    const hsize_t start[2] = {a, 0}, count[2] = {b - a, hsize_t(width)};
    if (H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
        h5::fail("select rows of", dataset, "");
    h5::Handle mem(H5Screate_simple(width, count, nullptr));
    if (H5Dread(dataset, mem_type, mem.get(), space, H5P_DEFAULT, out) < 0) h5::fail("read", dataset, "");
}

// The rows of `ranges` of a dataset of `width` columns, concatenated, into `out`, read as the
// file's own type F. HDF5 builds a selection of many pieces slowly (a rank's targets
// interleave with the other ranks', so its rows are many short ranges), so ranges are read as
// contiguous spans instead: ranges a small gap apart (at most the rows wanted so far in the
// span, or 512 rows) are read together, gap included, and the wanted rows are copied out; so
// a span never reads more than about twice what it needs. Reading as F and converting while
// copying out spares HDF5's own conversion (a pass through its conversion buffer and a copy).
template <class F, class T>
void read_ranges_as(hid_t dataset, const Ranges& ranges, int width, std::vector<T>& out) {
    std::uint64_t n = 0;
    for (auto& [a, b] : ranges) n += b - a;
    out.resize(n * std::uint64_t(width));
    if (n == 0) return;
    h5::Handle space(H5Dget_space(dataset));
    if (!space.valid()) h5::fail("get the dataspace of", dataset, "");
    const hsize_t extent = h5::shape(dataset).at(0);
    thread_local std::vector<F> scratch;  // kept: a fresh one per call costs page faults and zeroing
    const auto w = std::uint64_t(width);
    std::size_t at = 0;  // rows written to out
    for (std::size_t first = 0; first < ranges.size();) {
        std::size_t last = first + 1;
        std::uint64_t wanted = ranges[first].second - ranges[first].first;
        while (last < ranges.size() &&
               ranges[last].first - ranges[last - 1].second <= std::max<std::uint64_t>(512, wanted))
            wanted += ranges[last].second - ranges[last].first, ++last;
        const std::uint64_t a = ranges[first].first, b = ranges[last - 1].second;
        if (b > extent) h5::fail("read rows beyond the end of", dataset, "");
        if (std::is_same_v<F, T> && last == first + 1) {
            read_span(dataset, space.get(), width, a, b, h5::native_type<T>(), out.data() + at * w);
        } else {
            if (scratch.size() < (b - a) * w) scratch.resize((b - a) * w);
            read_span(dataset, space.get(), width, a, b, h5::native_type<F>(), scratch.data());
            T* to = out.data() + at * w;
            for (std::size_t k = first; k < last; ++k)
                to = std::transform(scratch.data() + (ranges[k].first - a) * w,
                                    scratch.data() + (ranges[k].second - a) * w, to,
                                    [](F x) { return static_cast<T>(x); });
        }
        at += wanted;
        first = last;
    }
}

// read_ranges_as with F the native type that has the dataset's class, size and sign, when T is
// of the same class (integers into integers, floats into floats: a static_cast then converts as
// HDF5 would, except that an unsigned id beyond T's range wraps to a negative one instead of
// being clipped, which the callers' range checks refuse either way); otherwise HDF5 converts.
template <class T>
void read_ranges(hid_t dataset, const Ranges& ranges, int width, std::vector<T>& out) {
    h5::Handle type(H5Dget_type(dataset));
    if (!type.valid()) h5::fail("get the type of", dataset, "");
    const H5T_class_t c = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    if constexpr (std::is_integral_v<T>) {
        if (c == H5T_INTEGER) {
            const bool sign = H5Tget_sign(type.get()) == H5T_SGN_2;
            switch (size) {
            case 1: return sign ? read_ranges_as<std::int8_t>(dataset, ranges, width, out)
                                : read_ranges_as<std::uint8_t>(dataset, ranges, width, out);
            case 2: return sign ? read_ranges_as<std::int16_t>(dataset, ranges, width, out)
                                : read_ranges_as<std::uint16_t>(dataset, ranges, width, out);
            case 4: return sign ? read_ranges_as<std::int32_t>(dataset, ranges, width, out)
                                : read_ranges_as<std::uint32_t>(dataset, ranges, width, out);
            case 8: return sign ? read_ranges_as<std::int64_t>(dataset, ranges, width, out)
                                : read_ranges_as<std::uint64_t>(dataset, ranges, width, out);
            default: break;
            }
        }
    } else if (c == H5T_FLOAT) {
        if (size == 4) return read_ranges_as<float>(dataset, ranges, width, out);
        if (size == 8) return read_ranges_as<double>(dataset, ranges, width, out);
    }
    read_ranges_as<T>(dataset, ranges, width, out);
}

template <class T>
void read_rows(hid_t dataset, const Ranges& ranges, std::vector<T>& out) {
    read_ranges(dataset, ranges, 1, out);
}

}  // namespace

void read_rows_into(hid_t dataset, const Ranges& ranges, std::vector<double>& out) { read_rows(dataset, ranges, out); }
void read_rows_into(hid_t dataset, const Ranges& ranges, std::vector<std::int64_t>& out) { read_rows(dataset, ranges, out); }

std::vector<double> read_rows_double(hid_t dataset, const Ranges& ranges) {
    std::vector<double> out;
    read_rows(dataset, ranges, out);
    return out;
}

std::vector<std::int64_t> read_rows_int(hid_t dataset, const Ranges& ranges) {
    std::vector<std::int64_t> out;
    read_rows(dataset, ranges, out);
    return out;
}

bool holds_integers(hid_t dataset) {
    h5::Handle type(H5Dget_type(dataset));
    return type.valid() && H5Tget_class(type.get()) == H5T_INTEGER;
}

std::vector<std::uint64_t> read_pairs(const fs::path& file, hid_t dataset, const Ranges* ranges) {
    const std::vector<hsize_t> dims = h5::shape(dataset);
    if (dims.size() != 2 || dims[1] != 2 || !holds_integers(dataset))
        bad(file, h5::object_path(dataset, ""), "expected a 2-column dataset of integers [n, 2]");
    if (ranges)
        for (auto& [a, b] : *ranges)
            if (b > dims[0])
                bad(file, h5::object_path(dataset, ""),
                    "row " + std::to_string(b - 1) + " asked for, beyond its " + std::to_string(dims[0]) + " rows");
    std::vector<std::uint64_t> out;
    read_ranges(dataset, ranges ? *ranges : Ranges{{0, dims[0]}}, 2, out);
    return out;
}

std::vector<std::int64_t> read_int_dataset(const fs::path& file, hid_t loc, const std::string& name) {
    if (h5::object_kind(loc, name) != H5I_DATASET) bad(file, h5::object_path(loc, name), "no such dataset");
    h5::Handle d = h5::open_dataset(loc, name);
    if (!holds_integers(d.get())) bad(file, h5::object_path(loc, name), "expected integers");
    return h5::read_all<std::int64_t>(d.get());
}

}  // namespace apical::sonata
