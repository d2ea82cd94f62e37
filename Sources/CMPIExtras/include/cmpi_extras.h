// CMPIExtras: C code next to OpenMPI that Swift cannot or should not express:
// - the bfloat16 and float16 sum reductions (an MPI_Op needs a C function pointer), and the
//   conversions between float32 and 16-bit buffers for the gradient wire;
// - a plain C MPI_Allreduce timing loop, the baseline the Swift layer is measured against;
// - the stall watchdog thread (stall_watchdog.c), which must call MPI_Abort from C.
#ifndef CMPI_EXTRAS_H
#define CMPI_EXTRAS_H

#include <mpi.h>
#include <stdint.h>

/// The MPI operation that sums bfloat16 values (carried as MPI_UINT16_T), created on first
/// use; MPI_OP_NULL if creation failed.
MPI_Op cmpi_bf16_sum_op(void);

/// The MPI datatype of one bfloat16 value (MPI_UINT16_T).
MPI_Datatype cmpi_bf16_type(void);

/// out[i] = bfloat16(in[i]), rounded to nearest even; NaN stays NaN.
void cmpi_float_to_bf16(const float *in, uint16_t *out, int64_t count);

/// out[i] = float(in[i]) (exact).
void cmpi_bf16_to_float(const uint16_t *in, float *out, int64_t count);

/// The MPI operation that sums IEEE float16 values (carried as MPI_UINT16_T: each pair added in
/// float32 and rounded to nearest even), created on first use; MPI_OP_NULL if creation failed.
MPI_Op cmpi_f16_sum_op(void);

/// out[i] = float16(in[i]), rounded to nearest even (F16C where the CPU has it, same bits).
void cmpi_float_to_f16(const float *in, uint16_t *out, int64_t count);

/// out[i] = float(in[i]) (exact).
void cmpi_f16_to_float(const uint16_t *in, float *out, int64_t count);

/// "f16c" where the float16 conversions use the CPU's F16C instructions, else "scalar".
const char *cmpi_f16_instruction_set(void);

/// Times `iterations` in-place MPI_Allreduce (sum) of `count` floats on MPI_COMM_WORLD, after a
/// barrier: `*seconds` per call. Returns MPI_SUCCESS, or the failing call's error code with its
/// name in `*failed_call`.
int cmpi_time_allreduce(float *buffer, int count, int iterations, double *seconds, const char **failed_call);

/// Starts the stall watchdog (stall_watchdog.c): when cmpi_watchdog_beat has not been called
/// for `seconds` (plus rank x 0.5 s), it prints one line naming the last epoch and step and
/// calls MPI_Abort (`seconds` 0: never; the thread then only sends heartbeats). Returns 0, or
/// pthread_create's error. A second start does nothing.
int cmpi_watchdog_start(double seconds, int rank);

/// Names in the heartbeats the rank the loop found slow (-1: none) and how many times faster the
/// job would step without it (the elastic supervisor's --drop-slow-hosts).
void cmpi_watchdog_set_slow_rank(int rank, double speedup);

/// Changes the watchdog's limit while it runs (0: no limit).
void cmpi_watchdog_set_limit(double seconds);

/// Sends a heartbeat datagram to `host`:`port` (UDP) every tick of the watchdog thread; call
/// before start. Returns 0, or -1 when the address cannot be resolved or no socket made.
int cmpi_watchdog_set_heartbeat(const char *host, int port);

/// Records progress: the loop is at `epoch`, `step`, now.
void cmpi_watchdog_beat(int64_t epoch, int64_t step);

/// Records that this rank reached the step's collective (its slot on the arrival board).
void cmpi_watchdog_arrive(void);

/// Hands the watchdog the node's arrival board: `count` slots of
/// cmpi_watchdog_board_slot_bytes() each (shared by the node's ranks), this rank's slot `own`;
/// `covers_world` is nonzero when every rank of the job is on this node. Call before start.
void cmpi_watchdog_set_board(void *slots, int count, int own, int covers_world);

/// Bytes per slot of the arrival board (one cache line).
int cmpi_watchdog_board_slot_bytes(void);

/// Writes this rank's world rank into its board slot and zeroes its arrivals.
void cmpi_watchdog_register(int world_rank);

/// Stops and joins the watchdog thread (nothing if none runs) and forgets the board.
void cmpi_watchdog_stop(void);

#endif
