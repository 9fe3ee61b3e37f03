// A neuron model that reaches up into the engine: check_layers must reject this include.
#include "core/spike.hpp"
#include "engine/simulation.hpp"
