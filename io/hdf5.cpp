// RAII wrappers and helpers over the HDF5 C API (see hdf5.hpp).
// Note: Debian's parallel HDF5 is not built thread-safe; call these from one thread.
#include "io/hdf5.hpp"

#include "core/error.hpp"

namespace apical::h5 {

void silence_error_printing() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// ---- Handle -----------------------------------------------------------------------------

Handle& Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        close_quietly();
        id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
}

namespace {

// Closes an identifier with the close function of its kind.
herr_t close_id(hid_t id) {
    switch (H5Iget_type(id)) {
        case H5I_FILE: return H5Fclose(id);
        case H5I_GROUP: return H5Gclose(id);
        case H5I_DATASET: return H5Dclose(id);
        case H5I_ATTR: return H5Aclose(id);
        case H5I_DATATYPE: return H5Tclose(id);
        case H5I_DATASPACE: return H5Sclose(id);
        case H5I_GENPROP_LST: return H5Pclose(id);
        default: return H5Idec_ref(id) < 0 ? -1 : 0;
    }
}

}  // namespace

void Handle::close() {
    if (!valid()) return;
    const bool is_file = H5Iget_type(id_) == H5I_FILE;
    // The name is gone once the identifier is closed, so take it before.
    const std::string file = file_name(id_);
    const std::string object = is_file ? std::string() : object_path(id_, "");
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (close_id(id) < 0) {
        const std::string reason = last_error_reason();
        std::string msg = "HDF5: cannot close ";
        if (!is_file) msg += "'" + object + "' in ";
        throw RuntimeFailure(msg + "file '" + file + "'" +
                             (reason.empty() ? std::string() : ": " + reason));
    }
}

void Handle::close_quietly() noexcept {
    if (valid()) close_id(std::exchange(id_, H5I_INVALID_HID));
}

// ---- errors -----------------------------------------------------------------------------

namespace {

// H5Ewalk2 callback: keeps the first (innermost, walking upward) non-empty description.
herr_t keep_innermost(unsigned, const H5E_error2_t* err, void* out) {
    auto* reason = static_cast<std::string*>(out);
    if (reason->empty() && err->desc != nullptr && err->desc[0] != '\0') *reason = err->desc;
    return 0;
}

// Fetches a name through the usual HDF5 "call with size 0, then with a buffer" protocol.
template <class Getter>
std::string fetch_name(Getter get) {
    const ssize_t n = get(nullptr, 0);
    if (n < 0) return "?";
    std::string s(static_cast<std::size_t>(n) + 1, '\0');
    if (get(s.data(), s.size()) < 0) return "?";
    s.resize(static_cast<std::size_t>(n));
    return s;
}

}  // namespace

std::string last_error_reason() {
    std::string reason;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &reason);
    return reason;
}

std::string file_name(hid_t loc) {
    return fetch_name([loc](char* buf, std::size_t n) { return H5Fget_name(loc, buf, n); });
}

std::string object_path(hid_t loc, std::string_view name) {
    std::string base =
        fetch_name([loc](char* buf, std::size_t n) { return H5Iget_name(loc, buf, n); });
    if (name.empty()) return base;
    if (base.empty() || base.back() != '/') base += '/';
    return base + std::string(name);
}

void fail(std::string_view action, hid_t loc, std::string_view name) {
    const std::string reason = last_error_reason();  // before any other HDF5 call
    throw RuntimeFailure("HDF5: cannot " + std::string(action) + " '" + object_path(loc, name) +
                         "' in file '" + file_name(loc) + "'" +
                         (reason.empty() ? std::string() : ": " + reason));
}

void fail_file(std::string_view action, const std::filesystem::path& path) {
    const std::string reason = last_error_reason();
    throw RuntimeFailure("HDF5: cannot " + std::string(action) + " file '" + path.string() +
                         "'" + (reason.empty() ? std::string() : ": " + reason));
}

// ---- types ------------------------------------------------------------------------------

Handle vlen_string_type() {
    Handle type(H5Tcopy(H5T_C_S1));
    if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0 ||
        H5Tset_strpad(type.get(), H5T_STR_NULLTERM) < 0)
        throw RuntimeFailure("HDF5: cannot build a variable-length string type: " +
                             last_error_reason());
    return type;
}

// ---- files ------------------------------------------------------------------------------

Handle create_file(const std::filesystem::path& path) {
    silence_error_printing();
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    // SWMR needs the 1.10 file format (checksummed metadata, v3 superblock).
    if (!fapl.valid() || H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST) < 0)
        fail_file("set up the format of", path);
    Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
    if (!file.valid()) fail_file("create", path);
    return file;
}

Handle open_file(const std::filesystem::path& path, unsigned flags) {
    silence_error_printing();
    Handle file(H5Fopen(path.c_str(), flags, H5P_DEFAULT));
    if (!file.valid()) fail_file((flags & H5F_ACC_RDWR) ? "open for writing" : "open", path);
    return file;
}

Handle open_file_for_reading(const std::filesystem::path& path) {
    silence_error_printing();
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (file.valid()) return file;
    const std::string plain_reason = last_error_reason();
    // A file still marked as open by a SWMR writer (running, or killed) refuses plain
    // readers ("file is already open for write") but accepts SWMR readers.
    file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    if (file.valid()) return file;
    throw RuntimeFailure("HDF5: cannot open file '" + path.string() + "'" +
                         (plain_reason.empty() ? std::string() : ": " + plain_reason));
}

// ---- streaming writers ------------------------------------------------------------------

Handle create_output_file(const std::filesystem::path& path, std::string_view what) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    if (!std::filesystem::is_directory(dir))
        throw UserError("cannot create " + std::string(what) + " '" + path.string() + "': directory '" +
                        dir.string() + "' does not exist");
    try {
        return create_file(path);
    } catch (const RuntimeFailure& e) {
        throw UserError("cannot write the " + std::string(what) + ": " + e.what());
    }
}

void start_swmr_write(hid_t file) {
    if (H5Fstart_swmr_write(file) < 0) fail("start SWMR writing of", file, "");
}

// ---- groups and datasets ----------------------------------------------------------------

Handle create_group(hid_t loc, const std::string& name) {
    Handle g(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!g.valid()) fail("create group", loc, name);
    return g;
}

Handle open_group(hid_t loc, const std::string& name) {
    Handle g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT));
    if (!g.valid()) fail("open group", loc, name);
    return g;
}

Handle open_dataset(hid_t loc, const std::string& name) {
    Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
    if (!d.valid()) fail("open dataset", loc, name);
    return d;
}

bool link_exists(hid_t loc, const std::string& name) {
    const htri_t r = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
    if (r < 0) fail("look up", loc, name);
    return r > 0;
}

H5I_type_t object_kind(hid_t loc, const std::string& name) {
    if (!link_exists(loc, name)) return H5I_BADID;
    // Opening the object and asking its identifier type avoids H5Oget_info, whose
    // signature differs between HDF5 1.10 and 1.12.
    Handle obj(H5Oopen(loc, name.c_str(), H5P_DEFAULT));
    if (!obj.valid()) return H5I_BADID;
    return H5Iget_type(obj.get());
}

std::vector<std::string> child_names(hid_t group) {
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) fail("list", group, "");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        names.push_back(fetch_name([group, i](char* buf, std::size_t n) {
            return H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, n,
                                      H5P_DEFAULT);
        }));
    }
    return names;
}

Handle create_chunked_1d(hid_t loc, const std::string& name, hid_t file_type,
                         hsize_t chunk_elements) {
    const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
    Handle space(H5Screate_simple(1, &zero, &unlimited));
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.valid() || !dcpl.valid() || H5Pset_chunk(dcpl.get(), 1, &chunk_elements) < 0)
        fail("set up dataset", loc, name);
    Handle d(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                        H5P_DEFAULT));
    if (!d.valid()) fail("create dataset", loc, name);
    return d;
}

hsize_t extent_1d(hid_t dataset) {
    Handle space(H5Dget_space(dataset));
    if (!space.valid()) fail("get the shape of", dataset, "");
    if (H5Sget_simple_extent_ndims(space.get()) != 1)
        throw RuntimeFailure("HDF5: '" + object_path(dataset, "") + "' in file '" +
                             file_name(dataset) + "' is not a 1-D dataset");
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.get(), &n, nullptr);
    return n;
}

void append_1d(hid_t dataset, hid_t mem_type, const void* data, hsize_t n) {
    const hsize_t start = extent_1d(dataset);
    const hsize_t new_size = start + n;
    if (H5Dset_extent(dataset, &new_size) < 0) fail("extend", dataset, "");
    Handle file_space(H5Dget_space(dataset));
    Handle mem_space(H5Screate_simple(1, &n, nullptr));
    if (!file_space.valid() || !mem_space.valid() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0)
        fail("select the end of", dataset, "");
    if (H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
        fail("write to", dataset, "");
}

void read_1d(hid_t dataset, hid_t mem_type, void* out, hsize_t n) {
    if (extent_1d(dataset) != n)
        throw RuntimeFailure("HDF5: '" + object_path(dataset, "") + "' changed size while read");
    if (H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        fail("read", dataset, "");
}

Handle write_1d_dataset(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                        const void* data, hsize_t n) {
    Handle space(H5Screate_simple(1, &n, nullptr));
    if (!space.valid()) fail("set up dataset", loc, name);
    Handle d(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT));
    if (!d.valid()) fail("create dataset", loc, name);
    if (n > 0 && H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail("write", loc, name);
    return d;
}

void overwrite_1d(hid_t dataset, hid_t mem_type, const void* data, hsize_t n) {
    if (extent_1d(dataset) != n)
        throw RuntimeFailure("HDF5: '" + object_path(dataset, "") + "' in file '" +
                             file_name(dataset) + "' does not hold " + std::to_string(n) +
                             " elements");
    if (n > 0 && H5Dwrite(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail("write", dataset, "");
}

std::vector<hsize_t> shape(hid_t dataset) {
    Handle space(H5Dget_space(dataset));
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 0) fail("get the shape of", dataset, "");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        fail("get the shape of", dataset, "");
    return dims;
}

Handle create_chunked_2d(hid_t loc, const std::string& name, hid_t file_type, hsize_t columns,
                         hsize_t chunk_rows, hsize_t chunk_columns) {
    const hsize_t dims[2] = {0, columns}, max_dims[2] = {H5S_UNLIMITED, columns};
    const hsize_t chunk[2] = {chunk_rows, chunk_columns};
    Handle space(H5Screate_simple(2, dims, max_dims));
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.valid() || !dcpl.valid() || H5Pset_chunk(dcpl.get(), 2, chunk) < 0 ||
        H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0)
        fail("set up dataset", loc, name);
    Handle d(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                        H5P_DEFAULT));
    if (!d.valid()) fail("create dataset", loc, name);
    return d;
}

void append_rows_2d(hid_t dataset, hid_t mem_type, const void* data, hsize_t rows) {
    const std::vector<hsize_t> dims = shape(dataset);
    if (dims.size() != 2)
        throw RuntimeFailure("HDF5: '" + object_path(dataset, "") + "' in file '" +
                             file_name(dataset) + "' is not a 2-D dataset");
    if (rows == 0) return;
    const hsize_t new_dims[2] = {dims[0] + rows, dims[1]};
    if (H5Dset_extent(dataset, new_dims) < 0) fail("extend", dataset, "");
    if (dims[1] == 0) return;  // no columns: nothing to write
    const hsize_t start[2] = {dims[0], 0}, count[2] = {rows, dims[1]};
    Handle file_space(H5Dget_space(dataset));
    Handle mem_space(H5Screate_simple(2, count, nullptr));
    if (!file_space.valid() || !mem_space.valid() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
        fail("select the end of", dataset, "");
    if (H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
        fail("write to", dataset, "");
}

void write_string_dataset(hid_t loc, const std::string& name, const std::string& text) {
    Handle type = vlen_string_type();
    Handle space(H5Screate(H5S_SCALAR));
    Handle d(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT));
    if (!d.valid()) fail("create dataset", loc, name);
    const char* p = text.c_str();
    if (H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0)
        fail("write", loc, name);
}

namespace {

// A scalar string stored with `file_type` (variable or fixed length), read by
// `read(mem_type, out)` (an H5Dread or H5Aread that throws on failure).
template <class Read>
std::string read_scalar_string(hid_t file_type, Read read) {
    if (H5Tis_variable_str(file_type) > 0) {
        // The file's own string type (its character set: HDF5 does not convert ASCII to
        // UTF-8 variable-length strings, and BMTK writes ASCII ones).
        Handle mem_type(H5Tcopy(file_type));
        char* p = nullptr;
        read(mem_type.get(), &p);
        std::string text = p ? p : "";
        H5free_memory(p);
        return text;
    }
    // Fixed length: read the raw bytes and drop the padding.
    std::string text(H5Tget_size(file_type), '\0');
    read(file_type, text.data());
    text.resize(text.find_last_not_of('\0') + 1);
    return text;
}

}  // namespace

std::string read_string_dataset(hid_t loc, const std::string& name) {
    Handle d = open_dataset(loc, name);
    Handle file_type(H5Dget_type(d.get()));
    if (!file_type.valid() || H5Tget_class(file_type.get()) != H5T_STRING)
        throw RuntimeFailure("HDF5: '" + object_path(loc, name) + "' in file '" +
                             file_name(loc) + "' is not a string dataset");
    return read_scalar_string(file_type.get(), [&](hid_t mem_type, void* out) {
        if (H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) fail("read", loc, name);
    });
}

// ---- attributes -------------------------------------------------------------------------

void write_attribute_raw(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                         const void* data, hsize_t n, bool scalar) {
    const htri_t exists = H5Aexists(obj, name.c_str());
    if (exists < 0) fail("look up attribute", obj, name);
    Handle attr;
    if (exists > 0) {
        attr = Handle(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
    } else {
        Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr));
        if (!space.valid()) fail("set up attribute", obj, name);
        attr = Handle(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                 H5P_DEFAULT));
    }
    if (!attr.valid()) fail("create attribute", obj, name);
    if (H5Awrite(attr.get(), mem_type, data) < 0) fail("write attribute", obj, name);
}

void write_attribute(hid_t obj, const std::string& name, const std::string& value) {
    Handle type = vlen_string_type();
    const char* p = value.c_str();
    write_attribute_raw(obj, name, type.get(), type.get(), &p, 1, true);
}

void write_enum_attribute(hid_t obj, const std::string& name,
                          std::span<const EnumMember> members, std::uint8_t value) {
    Handle type(H5Tenum_create(H5T_NATIVE_UINT8));
    if (!type.valid()) fail("create the enum type of attribute", obj, name);
    for (const EnumMember& m : members)
        if (H5Tenum_insert(type.get(), m.name.c_str(), &m.value) < 0)
            fail("add member '" + m.name + "' to the enum of attribute", obj, name);
    write_attribute_raw(obj, name, type.get(), type.get(), &value, 1, true);
}

bool attribute_exists(hid_t obj, const std::string& name) {
    const htri_t exists = H5Aexists(obj, name.c_str());
    if (exists < 0) fail("look up attribute", obj, name);
    return exists > 0;
}

void read_attribute_raw(hid_t obj, const std::string& name, hid_t mem_type, void* out) {
    Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("open attribute", obj, name);
    if (H5Aread(attr.get(), mem_type, out) < 0) fail("read attribute", obj, name);
}

std::string read_string_attribute(hid_t obj, const std::string& name) {
    Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
    if (!attr.valid()) fail("open attribute", obj, name);
    Handle file_type(H5Aget_type(attr.get()));
    if (!file_type.valid() || H5Tget_class(file_type.get()) != H5T_STRING)
        throw RuntimeFailure("HDF5: attribute '" + object_path(obj, name) + "' in file '" + file_name(obj) +
                             "' is not a string");
    return read_scalar_string(file_type.get(), [&](hid_t mem_type, void* out) {
        if (H5Aread(attr.get(), mem_type, out) < 0) fail("read attribute", obj, name);
    });
}

}  // namespace apical::h5
