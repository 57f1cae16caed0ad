// Compiler switches shared by the core.
#pragma once

// Hot helpers are forced inline so that each instruction-set clone of a kernel
// (WI_DISPATCH) compiles them for its own target.
#if defined(__GNUC__)
#define WI_INLINE inline __attribute__((always_inline))
#else
#define WI_INLINE inline
#endif

// Runtime dispatch: GCC and Clang build one clone per target and pick at load time.
// WEIGHTINIT_NO_DISPATCH (or -march=native builds) turn it off.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(WEIGHTINIT_NO_DISPATCH)
#define WI_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WI_DISPATCH
#endif
