/* The MLP through its tagged names, as a file including several model
 * headers would use them. */
#define PASO_MODEL_NO_SHORT_NAMES
#include "tiny_mlp.h"

#include "example.h"

int run_mlp(const float *image, float *scores) {
  paso_context *ctx;
  if (tiny_mlp_paso_context_create(&ctx) != PASO_OK)
    return 1;
  const void *inputs[] = {image};
  size_t input_sizes[] = {PASO_TINY_MLP_INPUT_0_BYTES};
  void *outputs[] = {scores};
  size_t output_sizes[] = {PASO_TINY_MLP_OUTPUT_0_BYTES};
  paso_status status = tiny_mlp_paso_run(ctx, inputs, input_sizes, outputs,
                                         output_sizes);
  tiny_mlp_paso_context_destroy(ctx);
  return status != PASO_OK;
}
