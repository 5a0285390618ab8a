/*===- paso_halide_abi.h - Halide's buffer descriptor, as C --------------===*\
 *
 * The model runtime is built freestanding, without Halide's headers (a
 * build without Halide still has the runtime), so these mirror the
 * stable C ABI of halide_buffer_t and friends in HalideRuntime.h.
 * test/e2e/test_preprocess.py compiles a check of every size and offset
 * against the installed header.
 *
\*===----------------------------------------------------------------------===*/

#ifndef PASO_HALIDE_ABI_H
#define PASO_HALIDE_ABI_H

#include <stdint.h>

typedef struct {
  int32_t min, extent, stride;
  uint32_t flags;
} paso_halide_dimension;

typedef struct {
  uint8_t code, bits;
  uint16_t lanes;
} paso_halide_type;

typedef struct {
  uint64_t device;
  const void *device_interface;
  uint8_t *host;
  uint64_t flags;
  paso_halide_type type;
  int32_t dimensions;
  paso_halide_dimension *dim;
  void *padding;
} paso_halide_buffer;

#endif /* PASO_HALIDE_ABI_H */
