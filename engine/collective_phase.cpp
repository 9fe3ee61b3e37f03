#include "engine/collective_phase.hpp"

#include <exception>

#include "core/error.hpp"

namespace apical {

PhaseResult collective_phase(DistributedContext& ctx, const std::function<void()>& phase) {
    std::string message;
    bool peer = false, user = true;
    try {
        phase();
    } catch (const PeerFailure&) {
        peer = true;
    } catch (const UserError& e) {
        message = e.what();
    } catch (const std::exception& e) {
        message = std::string("apical: error: ") + e.what();
        user = false;
    }
    PhaseResult result;
    if (!ctx.any(!message.empty() || peer)) return result;
    // The lowest rank with a real error reports it.
    const bool reporter = !message.empty() && !peer;
    const int lowest = -int(ctx.max(reporter ? -double(ctx.rank()) : -double(ctx.size())));
    if (reporter && ctx.rank() == lowest) result.message = message;
    result.exit_code = ctx.max(user ? 2.0 : 1.0) == 1.0 ? 1 : 2;
    return result;
}

}  // namespace apical
