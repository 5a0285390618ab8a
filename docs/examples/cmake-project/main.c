/* Runs both models on a fixed image and prints their outputs: two PASO
 * models, a shared library and a static archive, in one program. */
#include "example.h"

#include <stdio.h>

int main(void) {
  float image[3 * 8 * 8], probs[4], scores[2];
  /* A fixed ramp, so that the result can be checked against ONNX Runtime. */
  for (int i = 0; i < 3 * 8 * 8; ++i)
    image[i] = (float)(i % 7 - 3) / 4.0f;
  if (run_cnn(image, probs) || run_mlp(image, scores)) {
    fprintf(stderr, "a model failed to run\n");
    return 1;
  }
  printf("tiny_cnn:");
  for (int i = 0; i < 4; ++i)
    printf(" %.6f", probs[i]);
  printf("\ntiny_mlp:");
  for (int i = 0; i < 2; ++i)
    printf(" %.6f", scores[i]);
  printf("\n");
  return 0;
}
