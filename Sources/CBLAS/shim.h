// CBLAS: OpenBLAS's CBLAS interface (sgemm, sgemv, ...) and its thread control.
#ifndef CBLAS_SHIM_H
#define CBLAS_SHIM_H
#include <cblas.h>
#endif
