#include "cmpi_extras.h"

#include <string.h>

#include "bfloat16.h"
#include "float16.h"

static void bf16_sum(void *in, void *inout, int *length, MPI_Datatype *type) {
    (void)type;
    const uint16_t *a = in;
    uint16_t *b = inout;
    for (int i = 0; i < *length; i++) b[i] = bfloat16_from_float(bfloat16_to_float(a[i]) + bfloat16_to_float(b[i]));
}

MPI_Op cmpi_bf16_sum_op(void) {
    static MPI_Op op = MPI_OP_NULL;
    if (op == MPI_OP_NULL && MPI_Op_create(bf16_sum, 1, &op) != MPI_SUCCESS) op = MPI_OP_NULL;
    return op;
}

MPI_Datatype cmpi_bf16_type(void) { return MPI_UINT16_T; }

static void f16_sum(void *in, void *inout, int *length, MPI_Datatype *type) {
    (void)type;
    float16_sum(in, inout, *length);
}

MPI_Op cmpi_f16_sum_op(void) {
    static MPI_Op op = MPI_OP_NULL;
    if (op == MPI_OP_NULL && MPI_Op_create(f16_sum, 1, &op) != MPI_SUCCESS) op = MPI_OP_NULL;
    return op;
}

void cmpi_float_to_f16(const float *in, uint16_t *out, int64_t count) { float16_encode(in, out, count); }

void cmpi_f16_to_float(const uint16_t *in, float *out, int64_t count) { float16_decode(in, out, count); }

const char *cmpi_f16_instruction_set(void) { return float16_instruction_set(); }

void cmpi_float_to_bf16(const float *in, uint16_t *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = bfloat16_from_float(in[i]);
}

void cmpi_bf16_to_float(const uint16_t *in, float *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = bfloat16_to_float(in[i]);
}

int cmpi_time_allreduce(float *buffer, int count, int iterations, double *seconds, const char **failed_call) {
    *seconds = 0;
    int code = MPI_Barrier(MPI_COMM_WORLD);
    if (code != MPI_SUCCESS) { *failed_call = "MPI_Barrier"; return code; }
    double start = MPI_Wtime();
    for (int i = 0; i < iterations; i++) {
        code = MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) { *failed_call = "MPI_Allreduce"; return code; }
    }
    *seconds = (MPI_Wtime() - start) / (iterations > 0 ? iterations : 1);
    return MPI_SUCCESS;
}
