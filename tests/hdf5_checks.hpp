// Reading HDF5 attributes and datasets back in tests, with the C API only (so the checks do
// not go through the writers' own helpers), each read REQUIREd to succeed.
#pragma once

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "io/hdf5.hpp"

namespace apical::test {

inline h5::Handle open_attr(hid_t obj, const char* name) {
    h5::Handle a(H5Aopen(obj, name, H5P_DEFAULT));
    REQUIRE(a.valid());
    return a;
}

// Whether the attribute's stored type equals `expected` (e.g. H5T_STD_U32LE).
inline bool attr_type_is(hid_t obj, const char* name, hid_t expected) {
    h5::Handle a = open_attr(obj, name);
    h5::Handle t(H5Aget_type(a.get()));
    return H5Tequal(t.get(), expected) > 0;
}

template <class T>
T read_attr(hid_t obj, const char* name) {
    h5::Handle a = open_attr(obj, name);
    T v{};
    REQUIRE(H5Aread(a.get(), h5::native_type<T>(), &v) >= 0);
    return v;
}

// A scalar variable-length string attribute.
inline std::string read_string_attr(hid_t obj, const char* name) {
    h5::Handle a = open_attr(obj, name);
    h5::Handle t(H5Aget_type(a.get()));
    REQUIRE(H5Tget_class(t.get()) == H5T_STRING);
    REQUIRE(H5Tis_variable_str(t.get()) > 0);
    h5::Handle space(H5Aget_space(a.get()));
    REQUIRE(H5Sget_simple_extent_type(space.get()) == H5S_SCALAR);
    h5::Handle mem = h5::vlen_string_type();
    char* p = nullptr;
    REQUIRE(H5Aread(a.get(), mem.get(), &p) >= 0);
    std::string s = p;
    H5free_memory(p);
    return s;
}

inline bool dataset_type_is(hid_t d, hid_t expected) {
    h5::Handle t(H5Dget_type(d));
    return H5Tequal(t.get(), expected) > 0;
}

// A whole one-dimensional dataset at `path` below `file`.
template <class T>
std::vector<T> read_1d(hid_t file, const std::string& path) {
    h5::Handle d = h5::open_dataset(file, path);
    REQUIRE(h5::shape(d.get()).size() == 1);
    return h5::read_all<T>(d.get());
}

// One byte through a pipe: how a test and its forked writer take turns.
inline void send_byte(int fd) {
    const char c = 1;
    [[maybe_unused]] ssize_t r = write(fd, &c, 1);
}
inline bool receive_byte(int fd) {
    char c = 0;
    return read(fd, &c, 1) == 1;
}

// Runs `writer` in a forked child that ends itself with raise(SIGKILL), as a killed run
// (no destructors, no HDF5 close); in the child a failure is the exit code (no Catch2 there).
// REQUIREs that the child was killed by SIGKILL.
template <class Writer>
void run_killed_child(Writer writer) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        try {
            writer();
        } catch (...) {
            _exit(1);
        }
        _exit(2);  // the writer returned without being killed
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
}

}  // namespace apical::test
