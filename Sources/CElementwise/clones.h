// What every file of CElementwise compiles under: no floating-point contraction (every clone
// rounds alike), and EW_CLONES, one clone of a function per instruction set picked at load
// time by the loader's ifunc resolver (clang on x86-64 Linux; elsewhere one plain function).
#ifndef CELEMENTWISE_CLONES_H
#define CELEMENTWISE_CLONES_H

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define EW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EW_CLONES
#endif
#endif
