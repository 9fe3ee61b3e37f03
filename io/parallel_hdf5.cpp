// Parallel HDF5 over MPI-IO (see parallel_hdf5.hpp). The only file of io/ with MPI calls.
#include "io/parallel_hdf5.hpp"

#include <mpi.h>

#include "core/error.hpp"

#ifndef H5_HAVE_PARALLEL
#error "apical needs parallel HDF5 (Debian: libhdf5-openmpi-dev); CMakeLists.txt checks HDF5_IS_PARALLEL"
#endif

namespace apical::h5 {

namespace {

MPI_Comm comm_of(const Collective& c) {
    APICAL_ASSERT(c.communicator != nullptr);
    return *static_cast<MPI_Comm*>(c.communicator);
}

void check_mpi(int rc, const char* what) {
    if (rc != MPI_SUCCESS) throw RuntimeFailure(std::string("MPI call failed: ") + what);
}

// A memory or file space that selects nothing (ranks without elements still take part).
void select_none(hid_t space, hid_t dataset) {
    if (H5Sselect_none(space) < 0) fail("select nothing in", dataset, "");
}

void write(hid_t dataset, hid_t mem_type, hid_t mem_space, hid_t file_space, hid_t dxpl,
           const void* data) {
    // HDF5 rejects a null buffer even for an empty selection.
    static const double dummy = 0;
    if (H5Dwrite(dataset, mem_type, mem_space, file_space, dxpl, data ? data : &dummy) < 0)
        fail("write to", dataset, "");
}

}  // namespace

Handle create_growing_dataset(hid_t loc, const std::string& name, hid_t file_type,
                              std::span<const hsize_t> dims, std::span<const hsize_t> chunk) {
    APICAL_ASSERT(chunk.size() == dims.size() + 1 && dims.size() < 4);
    hsize_t now[4] = {0}, max[4] = {H5S_UNLIMITED};
    for (std::size_t k = 0; k < dims.size(); ++k) now[k + 1] = max[k + 1] = dims[k];
    const int rank = int(chunk.size());
    Handle space(H5Screate_simple(rank, now, max));
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.valid() || !dcpl.valid() || H5Pset_chunk(dcpl.get(), rank, chunk.data()) < 0 ||
        H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY) < 0)
        fail("set up dataset", loc, name);
    Handle d(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
    if (!d.valid()) fail("create dataset", loc, name);
    return d;
}

bool any_failed(const Collective& c, bool failed) {
    if (!c.parallel()) return failed;
    int in = failed ? 1 : 0, out = 0;
    check_mpi(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm_of(c)), "MPI_Allreduce (output files)");
    return out != 0;
}

void barrier(const Collective& c) {
    if (c.parallel()) check_mpi(MPI_Barrier(comm_of(c)), "MPI_Barrier (output files)");
}

Handle open_parallel_file(const std::filesystem::path& path, const Collective& c) {
    silence_error_printing();  // on ranks other than 0 too
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    if (!fapl.valid() || H5Pset_fapl_mpio(fapl.get(), comm_of(c), MPI_INFO_NULL) < 0)
        fail_file("set up parallel access to", path);
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()));
    if (!file.valid()) fail_file("open for parallel writing", path);
    return file;
}

Handle collective_transfer() {
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER));
    if (!dxpl.valid() || H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE) < 0)
        throw RuntimeFailure("HDF5: cannot set up collective transfers: " + last_error_reason());
    return dxpl;
}

void set_extent(hid_t dataset, std::span<const hsize_t> dims) {
    if (H5Dset_extent(dataset, dims.data()) < 0) fail("extend", dataset, "");
}

void write_range_1d(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data, hsize_t first, hsize_t n) {
    Handle file_space(H5Dget_space(dataset));
    const hsize_t one = 1;
    Handle mem_space(H5Screate_simple(1, n ? &n : &one, nullptr));
    if (!file_space.valid() || !mem_space.valid()) fail("select a range of", dataset, "");
    if (n == 0) {
        select_none(file_space.get(), dataset);
        select_none(mem_space.get(), dataset);
    } else if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &first, nullptr, &n, nullptr) < 0) {
        fail("select a range of", dataset, "");
    }
    write(dataset, mem_type, mem_space.get(), file_space.get(), dxpl, data);
}

void write_block_2d(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data, hsize_t first_row,
                    hsize_t rows, hsize_t first_column, hsize_t columns) {
    Handle file_space(H5Dget_space(dataset));
    const hsize_t start[2] = {first_row, first_column}, count[2] = {rows, columns}, one[2] = {1, 1};
    const bool empty = rows == 0 || columns == 0;
    Handle mem_space(H5Screate_simple(2, empty ? one : count, nullptr));
    if (!file_space.valid() || !mem_space.valid()) fail("select a block of", dataset, "");
    if (empty) {
        select_none(file_space.get(), dataset);
        select_none(mem_space.get(), dataset);
    } else if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0) {
        fail("select a block of", dataset, "");
    }
    write(dataset, mem_type, mem_space.get(), file_space.get(), dxpl, data);
}

void overwrite_1d_from_root(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data,
                            hsize_t n, const Collective& c) {
    Handle file_space(H5Dget_space(dataset));
    Handle mem_space(H5Screate_simple(1, &n, nullptr));
    if (!file_space.valid() || !mem_space.valid()) fail("select", dataset, "");
    if (c.rank != 0) {
        select_none(file_space.get(), dataset);
        select_none(mem_space.get(), dataset);
    }
    write(dataset, mem_type, mem_space.get(), file_space.get(), dxpl, data);
}

}  // namespace apical::h5
