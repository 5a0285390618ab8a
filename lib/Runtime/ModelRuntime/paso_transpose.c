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

/* Three rows (an RGB image's planes) to interleaved triples, eight
 * columns at a time: one shuffle of three vectors into 24 floats (x86
 * permutes, NEON's st3), where the tiles would copy one float at a time. */
typedef float Float8 __attribute__((vector_size(32), aligned(4)));
typedef float Float16 __attribute__((ext_vector_type(16), aligned(4)));
typedef float Float24 __attribute__((ext_vector_type(24), aligned(4)));
enum { THREE_ROWS_CHUNK = 4096 };

static void transposeThreeRows(const float *in, float *out, int64_t cols,
                               int64_t c0, int64_t c1) {
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    Float8 r0 = *(const Float8 *)(in + c);
    Float8 r1 = *(const Float8 *)(in + cols + c);
    Float8 r2 = *(const Float8 *)(in + 2 * cols + c);
    Float16 low = __builtin_shufflevector(r0, r1, 0, 1, 2, 3, 4, 5, 6, 7, 8,
                                          9, 10, 11, 12, 13, 14, 15);
    Float16 high = __builtin_shufflevector(r2, r2, 0, 1, 2, 3, 4, 5, 6, 7,
                                           0, 1, 2, 3, 4, 5, 6, 7);
    Float24 triples = __builtin_shufflevector(
        low, high, 0, 8, 16, 1, 9, 17, 2, 10, 18, 3, 11, 19, 4, 12, 20, 5,
        13, 21, 6, 14, 22, 7, 15, 23);
    *(Float24 *)(out + 3 * c) = triples;
  }
  for (; c < c1; ++c)
    for (int64_t r = 0; r < 3; ++r)
      out[c * 3 + r] = in[r * cols + c];
}

static void threeRowsPiece(int32_t index, void *context) {
  const GemmProblem *g = (const GemmProblem *)context;
  int64_t chunks = (g->N + THREE_ROWS_CHUNK - 1) / THREE_ROWS_CHUNK;
  int64_t matrix = index / chunks;
  int64_t c0 = (index % chunks) * THREE_ROWS_CHUNK;
  int64_t c1 = c0 + THREE_ROWS_CHUNK < g->N ? c0 + THREE_ROWS_CHUNK : g->N;
  transposeThreeRows(g->A + matrix * 3 * g->N, g->C + matrix * 3 * g->N,
                     g->N, c0, c1);
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
    int threeRows = g.M == 3;
    void (*piece)(int32_t, void *) =
        threeRows ? threeRowsPiece : transposePiece;
    int64_t pieces =
        g.batch * (threeRows
                       ? (g.N + THREE_ROWS_CHUNK - 1) / THREE_ROWS_CHUNK
                       : (g.M + TILE - 1) / TILE);
    int64_t threads = kernelThreads(descriptor);
    if (threads > 1 && pieces > 1) {
      paso_parallel_for((int32_t)pieces, piece, &g);
    } else {
      for (int64_t i = 0; i < pieces; ++i)
        piece((int32_t)i, &g);
    }
  }
  profileStop(descriptor, start);
}
