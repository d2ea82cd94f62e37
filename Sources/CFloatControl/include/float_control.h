// CFloatControl: the CPU's treatment of subnormal floats, which Swift cannot reach (MXCSR is set
// through compiler intrinsics).
//
// A sigmoid network that trains well saturates: its activations and deltas drift into the
// subnormal range (below 1.2e-38), where x86 cores take a microcode assist for every operation,
// 10-100 times slower; the matrix products then slow down by 4x (measured with LARS at a
// global batch of 6400). Flush-to-zero and denormals-are-zero treat them as zero instead, as
// oneDNN and TensorFlow do by default (PyTorch: torch.set_flush_denormal).
#ifndef CFLOAT_CONTROL_H
#define CFLOAT_CONTROL_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
/// Sets (1) or clears (0) flush-to-zero and denormals-are-zero for the calling thread; returns
/// 1 where the CPU has these modes, 0 where this is a no-op.
static inline int mnist_set_flush_subnormals(int on) {
  unsigned int bits = 0x8040u;  // FTZ (bit 15) | DAZ (bit 6)
  unsigned int csr = _mm_getcsr();
  _mm_setcsr(on ? (csr | bits) : (csr & ~bits));
  return 1;
}
/// 1 when flush-to-zero and denormals-are-zero are both on for the calling thread.
static inline int mnist_flushes_subnormals(void) { return (_mm_getcsr() & 0x8040u) == 0x8040u; }
#else
static inline int mnist_set_flush_subnormals(int on) { (void)on; return 0; }
static inline int mnist_flushes_subnormals(void) { return 0; }
#endif

#endif
