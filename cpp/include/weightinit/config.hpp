// Compiler switches shared by the core.
#pragma once

// Hot helpers are forced inline so that each instruction-set clone of a kernel
// (WI_DISPATCH) compiles them for its own target.
#if defined(__GNUC__)
#define WI_INLINE inline __attribute__((always_inline))
#else
#define WI_INLINE inline
#endif

// The streams' bits and the checks for nan and inf need IEEE arithmetic. Under -ffast-math
// (or -ffinite-math-only, or icpx's default fp-model=fast) the compiler may drop the checks
// and reorder the sums: a fit would not stop on nan, and the fills would not be the spec's.
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "weightinit needs IEEE floating point: build without -ffast-math / -ffinite-math-only (check CXXFLAGS)"
#endif

// Runtime dispatch: the CPU is asked at load time which kernels to run. WEIGHTINIT_NO_DISPATCH
// (CMake's WEIGHTINIT_NATIVE) turns it off, and so do flags that already ask for AVX-512
// (CXXFLAGS=-march=native on such a CPU): the module then runs only where they do, the
// x86-64-v4 clone would add nothing, and GCC 12, 13 and 14 stopped with an internal compiler
// error on mlp.cpp's fused kernels built so with the clones.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(WEIGHTINIT_NO_DISPATCH) && !defined(__AVX512F__)
#define WI_RUNTIME_DISPATCH 1
// One clone per x86-64 level where the compiler can dispatch on levels (GCC 12 on, Clang 14
// on) and the loader picks them (Linux's ifuncs). GCC 11 has no dispatcher for
// arch=x86-64-v4 (every clone was an error: Ubuntu 22.04's compiler): there, as off Linux,
// the kernels are the build's baseline and only the Philox versions (philox.cpp: target
// attributes and a CPU query of their own) follow the CPU.
#if defined(__linux__) && ((defined(__clang__) && __clang_major__ >= 14) || (!defined(__clang__) && __GNUC__ >= 12))
#define WI_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef WI_DISPATCH
#define WI_DISPATCH
#endif
