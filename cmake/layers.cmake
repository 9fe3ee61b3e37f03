# The layers of apical, lowest first, and what each may include besides itself: the one
# allowed direction (docs/architecture.md, "Layers"). Read by CMakeLists.txt, which gives
# every layer's target an include path that holds only these folders (so an include against
# the direction does not compile), and by cmake/check_layers.cmake (a CTest step that reads
# every #include of every layer, headers included).
set(APICAL_LAYERS core neurons synapses plasticity engine io cli)
set(APICAL_LAYER_DEPS_core "")
set(APICAL_LAYER_DEPS_neurons core)
set(APICAL_LAYER_DEPS_synapses core)
set(APICAL_LAYER_DEPS_plasticity core neurons synapses)
set(APICAL_LAYER_DEPS_engine core neurons synapses plasticity)
set(APICAL_LAYER_DEPS_io core neurons synapses plasticity engine)
set(APICAL_LAYER_DEPS_cli core neurons synapses plasticity engine io)
