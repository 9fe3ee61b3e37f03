// Parallel HDF5 over MPI-IO: what the spike and report writers need to share one file
// between ranks. io/parallel_hdf5.cpp is the only file of io/ that calls MPI (the engine's
// is engine/mpi_context.cpp): the communicator reaches it as an opaque pointer, from
// DistributedContext::native_communicator(), so the writers themselves never see MPI.
//
// How a writer uses it (spike_writer.cpp, report_writer.cpp):
//  1. rank 0 creates the file with the serial driver and writes everything that is not a
//     growing dataset (groups, attributes, fixed datasets, the variable-length string
//     /apical/description, which parallel HDF5 1.10 cannot write), then closes it;
//     all ranks agree on whether that worked (agree_on_failure);
//  2. every rank opens the file with H5Pset_fapl_mpio (open_parallel_file);
//  3. datasets grow by collective H5Dset_extent calls with the same size on every rank, and
//     each rank writes its own elements, one contiguous range or block per rank (a
//     selection of scattered small pieces is slow with MPI-IO), in the same collective H5Dwrite
//     (H5Pset_dxpl_mpio(H5FD_MPIO_COLLECTIVE), collective_transfer()); a rank with nothing
//     to write selects nothing but takes part;
//  4. flushes (H5Fflush) and the close are collective.
// Every call below that takes a communicator is collective over it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "io/hdf5.hpp"

namespace apical::h5 {

// The ranks that share an output file. communicator == nullptr: one process, the writers'
// serial SWMR path.
struct Collective {
    void* communicator = nullptr;  // an MPI_Comm*, from DistributedContext::native_communicator()
    int rank = 0;
    int size = 1;
    bool parallel() const { return communicator != nullptr; }
};

// Creates (serially, on rank 0, before the parallel open) an empty chunked dataset of
// `file_type` of shape [0, dims...], unlimited along the first dimension, with
// chunk shape `chunk` (1 + dims.size() values), no fill value ever written, and chunks
// allocated when the dataset grows (H5D_ALLOC_TIME_EARLY). Parallel HDF5 1.10.8 with Open
// MPI 4.1 fails collective writes into chunks of a serially created dataset with the serial
// default (incremental allocation): "mca_fbtl_posix_pwritev: error in writev: Invalid
// argument" (OMPIO) or "MPI_File_set_view failed" (ROMIO); early allocation avoids that.
Handle create_growing_dataset(hid_t loc, const std::string& name, hid_t file_type,
                              std::span<const hsize_t> dims, std::span<const hsize_t> chunk);

// True on every rank if `failed` is true on any rank.
bool any_failed(const Collective& c, bool failed);
// Waits for every rank (after rank 0 closed a file the others will open, or the reverse).
void barrier(const Collective& c);

// Opens an existing file read-write on every rank with the MPI-IO driver.
Handle open_parallel_file(const std::filesystem::path& path, const Collective& c);
// A dataset-transfer property list for collective writes.
Handle collective_transfer();

// Grows a dataset to `dims` (same value on every rank).
void set_extent(hid_t dataset, std::span<const hsize_t> dims);

// Writes data[0 .. n) at elements [first, first + n) of a 1-D dataset, collectively with
// `dxpl`; n may be 0 (the rank selects nothing but takes part).
void write_range_1d(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data, hsize_t first, hsize_t n);

// Writes the block rows [first_row, first_row + rows) x columns [first_column, first_column
// + columns) of a 2-D dataset as one hyperslab, collectively with `dxpl`, from data packed
// as [row][column]. rows or columns may be 0 (the rank selects nothing but takes part).
void write_block_2d(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data, hsize_t first_row,
                    hsize_t rows, hsize_t first_column, hsize_t columns);

// Writes a whole 1-D dataset of n elements from rank 0 (the others take part in the
// collective write with an empty selection).
void overwrite_1d_from_root(hid_t dataset, hid_t dxpl, hid_t mem_type, const void* data,
                            hsize_t n, const Collective& c);

}  // namespace apical::h5
