/* Runs the tiny CNN on a fixed image and prints its class probabilities:
 * the smallest program around a PASO model (docs/c-abi.md). */
#include "tiny_cnn.h"

#include <stdio.h>

int main(void) {
  float image[PASO_MODEL_INPUT_0_BYTES / sizeof(float)];
  float probs[PASO_MODEL_OUTPUT_0_BYTES / sizeof(float)];
  /* A fixed ramp, so that the result can be checked against ONNX Runtime. */
  for (size_t i = 0; i < sizeof image / sizeof *image; ++i)
    image[i] = (float)((int)(i % 7) - 3) / 4.0f;

  paso_context *ctx;
  if (paso_context_create(&ctx) != PASO_OK) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  const void *inputs[] = {image};
  size_t input_sizes[] = {sizeof image};
  void *outputs[] = {probs};
  size_t output_sizes[] = {sizeof probs};
  paso_status status = paso_run(ctx, inputs, input_sizes, outputs,
                                output_sizes);
  paso_context_destroy(ctx);
  if (status != PASO_OK) {
    fprintf(stderr, "%s\n", paso_status_string(status));
    return 1;
  }
  printf("%s:", paso_model_name());
  for (size_t i = 0; i < sizeof probs / sizeof *probs; ++i)
    printf(" %.6f", probs[i]);
  printf("\n");
  return 0;
}
