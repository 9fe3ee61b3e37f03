// Small RAII wrappers and helpers over the HDF5 C API, used by every HDF5 reader and writer
// of apical. Every failure becomes an apical::RuntimeFailure whose message names the file,
// the object and HDF5's own reason; HDF5's automatic error-stack printing is switched off.
//
// Only serial HDF5 here. The parallel (MPI-IO) writers will add a file-access property list
// with H5Pset_fapl_mpio and collective transfers; the helpers below take plain hid_t
// locations so they work unchanged on such files.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace apical::h5 {

// Switches off HDF5's printing of its error stack to stderr (process-wide, idempotent).
// Errors are still detected through return values and reported by our exceptions.
void silence_error_printing();

// Owns one HDF5 identifier (file, group, dataset, attribute, datatype, dataspace or
// property list) and closes it with the matching H5?close.
class Handle {
public:
    Handle() noexcept = default;
    explicit Handle(hid_t id) noexcept : id_(id) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
    Handle& operator=(Handle&& other) noexcept;
    ~Handle() { close_quietly(); }

    hid_t get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }
    // Closes now and throws RuntimeFailure if HDF5 reports an error. For a file this is
    // where the last metadata reaches the disk, so writers call it rather than relying on
    // the destructor (which cannot report anything).
    void close();
    // Closes and ignores errors (destructors, cleanup after another error).
    void close_quietly() noexcept;

private:
    hid_t id_ = H5I_INVALID_HID;
};

// ---- errors -----------------------------------------------------------------------------

// The innermost message of HDF5's current error stack ("" if none). Call it right after the
// failing call: every HDF5 API call clears the stack.
std::string last_error_reason();

// Throws RuntimeFailure: "HDF5: cannot <action> '<object>' in file '<file>': <reason>",
// where object is `name` below the object `loc` (loc may be a file, group or dataset).
[[noreturn]] void fail(std::string_view action, hid_t loc, std::string_view name);
// The same for a file that is not open (creating or opening it failed).
[[noreturn]] void fail_file(std::string_view action, const std::filesystem::path& path);

// Path of `name` below `loc` and the file it lives in, for messages ("?" when unknown).
std::string object_path(hid_t loc, std::string_view name);
std::string file_name(hid_t loc);

// ---- types ------------------------------------------------------------------------------

// The native HDF5 memory type of an arithmetic C++ type.
template <class T>
hid_t native_type() {
    static_assert(std::is_arithmetic_v<T>, "no HDF5 native type for this C++ type");
    if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
    else if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
    else if constexpr (std::is_same_v<T, bool>) return H5T_NATIVE_HBOOL;
    else if constexpr (std::is_signed_v<T>) {
        if constexpr (sizeof(T) == 1) return H5T_NATIVE_INT8;
        else if constexpr (sizeof(T) == 2) return H5T_NATIVE_INT16;
        else if constexpr (sizeof(T) == 4) return H5T_NATIVE_INT32;
        else return H5T_NATIVE_INT64;
    } else {
        if constexpr (sizeof(T) == 1) return H5T_NATIVE_UINT8;
        else if constexpr (sizeof(T) == 2) return H5T_NATIVE_UINT16;
        else if constexpr (sizeof(T) == 4) return H5T_NATIVE_UINT32;
        else return H5T_NATIVE_UINT64;
    }
}

// A variable-length, UTF-8, null-terminated string type (what h5py reads as str).
Handle vlen_string_type();

// ---- files, groups, datasets ------------------------------------------------------------

// Creates (truncates) a file whose format allows SWMR writing (libver low bound 1.10).
Handle create_file(const std::filesystem::path& path);
// Opens an existing file with H5F_ACC_* flags.
Handle open_file(const std::filesystem::path& path, unsigned flags);
// Opens read-only; if that fails because a SWMR writer has (or had, before it was killed)
// the file open, retries as a SWMR reader, which HDF5 then requires.
Handle open_file_for_reading(const std::filesystem::path& path);

Handle create_group(hid_t loc, const std::string& name);
Handle open_group(hid_t loc, const std::string& name);
Handle open_dataset(hid_t loc, const std::string& name);

// Whether a link `name` (one path component) exists below loc.
bool link_exists(hid_t loc, const std::string& name);
// The kind of object at `name` below loc: H5I_GROUP, H5I_DATASET, H5I_DATATYPE, or
// H5I_BADID if there is none or it cannot be opened.
H5I_type_t object_kind(hid_t loc, const std::string& name);
// Names of the links directly inside a group, in name order.
std::vector<std::string> child_names(hid_t group);

// Creates an empty, unlimited, chunked 1-D dataset of `file_type` (no compression).
Handle create_chunked_1d(hid_t loc, const std::string& name, hid_t file_type,
                         hsize_t chunk_elements);
// Number of elements of a 1-D dataset; throws if the dataset is not 1-D.
hsize_t extent_1d(hid_t dataset);
// Extends a 1-D dataset by n elements and writes them (converted from mem_type) at its end.
void append_1d(hid_t dataset, hid_t mem_type, const void* data, hsize_t n);

template <class T>
void append(hid_t dataset, std::span<const T> values) {
    if (!values.empty()) append_1d(dataset, native_type<T>(), values.data(), values.size());
}

// Reads a whole 1-D dataset, converted by HDF5 to T (any integer width to an integer T,
// float32 or float64 to a floating T).
void read_1d(hid_t dataset, hid_t mem_type, void* out, hsize_t n);

template <class T>
std::vector<T> read_all(hid_t dataset) {
    std::vector<T> out(extent_1d(dataset));
    if (!out.empty()) read_1d(dataset, native_type<T>(), out.data(), out.size());
    return out;
}

// Creates a contiguous 1-D dataset of n elements of `file_type` and writes `data` (converted
// from mem_type) into it.
Handle write_1d_dataset(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                        const void* data, hsize_t n);

template <class T>
Handle write_dataset(hid_t loc, const std::string& name, hid_t file_type,
                     std::span<const T> values) {
    return write_1d_dataset(loc, name, file_type, native_type<T>(), values.data(),
                            values.size());
}

// Overwrites every value of an existing 1-D dataset of n elements. Under SWMR this is a raw
// data write, which is allowed (unlike creating objects or attributes).
void overwrite_1d(hid_t dataset, hid_t mem_type, const void* data, hsize_t n);

// The current extent of a dataset, one entry per dimension.
std::vector<hsize_t> shape(hid_t dataset);

// Creates an empty 2-D dataset [0, columns] of `file_type`, unlimited along the first
// dimension (rows), chunked chunk_rows x chunk_columns, no compression. It is meant to be
// filled by append_rows_2d only, so no fill value is ever written (H5D_FILL_TIME_NEVER):
// every row inside the extent has been written.
Handle create_chunked_2d(hid_t loc, const std::string& name, hid_t file_type, hsize_t columns,
                         hsize_t chunk_rows, hsize_t chunk_columns);
// Extends a 2-D dataset by `rows` rows and writes them from `data` (rows x columns,
// row-major, converted from mem_type).
void append_rows_2d(hid_t dataset, hid_t mem_type, const void* data, hsize_t rows);

// Writes a scalar variable-length UTF-8 string dataset.
void write_string_dataset(hid_t loc, const std::string& name, const std::string& text);
// Reads a scalar string dataset (variable or fixed length).
std::string read_string_dataset(hid_t loc, const std::string& name);

// ---- streaming writers ------------------------------------------------------------------
// The steps every SWMR output writer (spike, report and population rate files) shares:
// create the file, create every object and attribute, start SWMR writing, append and flush;
// finish() flushes and closes, and a destructor without finish() flushes and closes quietly.

// Creates (truncates) a writer's output file; `what` names it in messages ("spike file").
// Throws UserError (a bad output path, not a runtime failure) if the directory does not
// exist or HDF5 cannot create the file.
Handle create_output_file(const std::filesystem::path& path, std::string_view what);
// Switches the file to SWMR write mode; every object and attribute must exist by then.
void start_swmr_write(hid_t file);
// For a writer's destructor: flush(), then close(), each attempted whatever the other did,
// errors ignored (nothing can be reported; the file keeps its last flushed state).
template <class Flush, class Close>
void flush_and_close_quietly(Flush&& flush, Close&& close) noexcept {
    try {
        flush();
    } catch (...) {
    }
    try {
        close();
    } catch (...) {
    }
}

// ---- attributes -------------------------------------------------------------------------
// The writers create the attribute or, if it exists, overwrite its value in place.

void write_attribute_raw(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                         const void* data, hsize_t n, bool scalar);

template <class T>
void write_attribute(hid_t obj, const std::string& name, T value) {
    write_attribute_raw(obj, name, native_type<T>(), native_type<T>(), &value, 1, true);
}
// A 1-D array attribute (e.g. SONATA's version = [0, 1]).
template <class T>
void write_array_attribute(hid_t obj, const std::string& name, std::span<const T> values) {
    write_attribute_raw(obj, name, native_type<T>(), native_type<T>(), values.data(),
                        values.size(), false);
}
// A scalar variable-length UTF-8 string attribute.
void write_attribute(hid_t obj, const std::string& name, const std::string& value);
inline void write_attribute(hid_t obj, const std::string& name, const char* value) {
    write_attribute(obj, name, std::string(value));
}

// A scalar attribute of an HDF5 enum over uint8 with the given (name, value) members.
struct EnumMember {
    std::string name;
    std::uint8_t value;
};
void write_enum_attribute(hid_t obj, const std::string& name,
                          std::span<const EnumMember> members, std::uint8_t value);

// Readers of scalar attributes, for files that may come from older versions: whether the
// attribute exists, its value converted by HDF5 to T (any integer or float width), and a
// string attribute (variable or fixed length). They throw RuntimeFailure if it is missing
// or of another kind.
bool attribute_exists(hid_t obj, const std::string& name);
void read_attribute_raw(hid_t obj, const std::string& name, hid_t mem_type, void* out);

template <class T>
T read_attribute(hid_t obj, const std::string& name) {
    T value{};
    read_attribute_raw(obj, name, native_type<T>(), &value);
    return value;
}
std::string read_string_attribute(hid_t obj, const std::string& name);

}  // namespace apical::h5
