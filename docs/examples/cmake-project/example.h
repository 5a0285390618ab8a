/* The two models of the example, each behind one function. */
#ifndef PASO_EXAMPLE_H
#define PASO_EXAMPLE_H

/* 1x3x8x8 image in, 4 class probabilities out. */
int run_cnn(const float *image, float *probs);
/* The same image in, 2 scores out. */
int run_mlp(const float *image, float *scores);

#endif
