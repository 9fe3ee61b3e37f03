// Catch2 main for tests run under mpiexec: initialises MPI, runs the
// session on every rank (only rank 0 reports to the console), and returns the failure count
// max-reduced over ranks, so every rank agrees on pass or fail.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <mpi.h>

#include <fstream>

int main(int argc, char** argv) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    Catch::Session session;
    if (int rc = session.applyCommandLine(argc, argv)) {
        MPI_Finalize();
        return rc;
    }
    if (rank != 0) session.configData().outputFilename = "%debug";  // quiet: failures still counted
    int failed = session.run();
    int worst = 0;
    MPI_Allreduce(&failed, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return worst;
}
