// PowerSGD's three passes over a weight matrix's gradient, fused (see powersgd.c). Row-major
// M [rows, cols]; P [rows, rank]; Q given transposed, qt [rank, cols]. Every clone computes the
// same bits: sums run in a fixed order (eight fixed lanes, or rows in order), no contraction.
#ifndef CELEMENTWISE_POWERSGD_H
#define CELEMENTWISE_POWERSGD_H
#include <stddef.h>

/// M = g + e, written into g; p[i, k] = sum over j of M[i, j] qt[k, j].
void psgd_encode_p(float *g, const float *e, const float *qt, float *p, size_t rows, size_t cols, size_t rank);

/// qt[k, j] = sum over i (in order) of m[i, j] p[i, k]: Q = Mᵀ P, transposed.
void psgd_encode_q(const float *m, const float *p, float *qt, size_t rows, size_t cols, size_t rank);

/// a = P Qᵀ; e = m - a * share; m = a (the decoded sum, and what this rank keeps back). rank >= 1.
void psgd_decode(float *m, float *e, const float *p, const float *qt, size_t rows, size_t cols, size_t rank,
                 float share);
#endif
