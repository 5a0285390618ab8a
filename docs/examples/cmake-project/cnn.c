/* The CNN through the short names: in a file that includes one model
 * header, paso_run and PASO_MODEL_* mean that model (docs/c-abi.md). */
#include "tiny_cnn.h"

#include "example.h"

int run_cnn(const float *image, float *probs) {
  paso_context *ctx;
  if (paso_context_create(&ctx) != PASO_OK)
    return 1;
  const void *inputs[] = {image};
  size_t input_sizes[] = {PASO_MODEL_INPUT_0_BYTES};
  void *outputs[] = {probs};
  size_t output_sizes[] = {PASO_MODEL_OUTPUT_0_BYTES};
  paso_status status = paso_run(ctx, inputs, input_sizes, outputs,
                                output_sizes);
  paso_context_destroy(ctx);
  return status != PASO_OK;
}
