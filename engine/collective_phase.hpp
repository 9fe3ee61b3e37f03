// Errors under MPI: every rank runs the same phases (load the description, build, create the
// output files), and a phase that fails on some ranks must stop all of them with one message
// rather than leave the others waiting in the next collective. Any program that runs the
// library on several ranks needs this, not only the command line.
#pragma once

#include <functional>
#include <string>

#include "engine/distributed_context.hpp"

namespace apical {

struct PhaseResult {
    // 0: the phase succeeded on every rank; else the exit code of `apical run`: 2 for user
    // errors (UserError: description, arguments, output path), 1 if every failing rank had
    // another failure.
    int exit_code = 0;
    // The error line, on the one rank that should print it (the lowest rank with an error of
    // its own, not a PeerFailure); empty on the others.
    std::string message;
    explicit operator bool() const { return exit_code != 0; }
};

// Runs `phase` on this rank, then agrees with the others (collective) on whether it failed
// anywhere. Exceptions from `phase` are caught: UserError's message as it is, others after
// "apical: error: ".
PhaseResult collective_phase(DistributedContext& ctx, const std::function<void()>& phase);

}  // namespace apical
