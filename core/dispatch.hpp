// Run-time dispatch of vectorised loops: APICAL_TARGET_CLONES("avx2", "default") before a
// function compiles it once per listed target and picks the best one for the CPU at load time
// (GCC's and clang's target_clones, resolved by an ifunc).
//
// The CMake option APICAL_RUNTIME_DISPATCH (ON by default) sets APICAL_RUNTIME_DISPATCH to 1 or
// 0. With 0 the macro expands to nothing: every function is compiled once, for the baseline
// target. ThreadSanitizer builds need that: the ifunc resolvers run before TSan's runtime is
// initialised and crash the program at load time (scripts/test --sanitize).
// Results do not depend on the setting (-ffp-contract=off: every clone rounds identically).
#pragma once

#ifndef APICAL_RUNTIME_DISPATCH
#define APICAL_RUNTIME_DISPATCH 1
#endif

#if APICAL_RUNTIME_DISPATCH
#define APICAL_TARGET_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#else
#define APICAL_TARGET_CLONES(...)
#endif
