/*===- paso_transpose.c - the layout-conversion kernel -------------------===*\
 *
 * out[b][j][i] = in[b][i][j] for a batch of rows x cols f32 matrices: the
 * NCHW <-> NHWC conversions paso-select-cpu-layout leaves at a model's
 * boundary (per image, [C, H*W] <-> [H*W, C]). Linalg's loops walk one of
 * the two sides with a stride of a whole plane; here both stay inside
 * square tiles that fit L1. Called with the descriptor of
 * include/paso/Runtime/paso_gemm.h: M = rows, N = cols, BATCH, A = in,
 * C = out; threaded over bands of tile rows.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

/* 32 x 32 floats: 4 KiB read and 4 KiB written per tile. */
enum { TILE = 32 };

static void transposeTile(const float *in, float *out, int64_t rows,
                          int64_t cols, int64_t r0, int64_t c0) {
  int64_t r1 = r0 + TILE < rows ? r0 + TILE : rows;
  int64_t c1 = c0 + TILE < cols ? c0 + TILE : cols;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t r = r0; r < r1; ++r)
      out[c * rows + r] = in[r * cols + c];
}

/* Piece i: tile row i % rowTiles of matrix i / rowTiles. */
static void transposePiece(int32_t index, void *context) {
  const GemmProblem *g = (const GemmProblem *)context;
  int64_t rowTiles = (g->M + TILE - 1) / TILE;
  int64_t matrix = index / rowTiles, r0 = (index % rowTiles) * TILE;
  const float *in = g->A + matrix * g->M * g->N;
  float *out = g->C + matrix * g->M * g->N;
  for (int64_t c0 = 0; c0 < g->N; c0 += TILE)
    transposeTile(in, out, g->M, g->N, r0, c0);
}

void paso_transpose_f32(const int64_t *descriptor, intptr_t a, intptr_t b,
                        intptr_t c, intptr_t bias, intptr_t residual) {
  uint64_t start = profileStart(descriptor);
  GemmProblem g;
  /* K is unused; the compiler sets it to 1 (decodeProblem wants K > 0). */
  if (decodeProblem(&g, descriptor, a, b, c, bias, residual)) {
    int64_t pieces = g.batch * ((g.M + TILE - 1) / TILE);
    int64_t threads = kernelThreads(descriptor);
    if (threads > 1 && pieces > 1) {
      paso_parallel_for((int32_t)pieces, transposePiece, &g);
    } else {
      for (int64_t i = 0; i < pieces; ++i)
        transposePiece((int32_t)i, &g);
    }
  }
  profileStop(descriptor, start);
}
