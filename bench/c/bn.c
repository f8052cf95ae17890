/* Plain C BatchNormalization loops: the memory-bandwidth reference of kiln's BN benchmarks.
 * Built at bench time with `gcc -O3 -march=native -fopenmp-simd` (the last flag only enables the
 * `omp simd` pragmas below, so the float64 reductions vectorize; no threads). Single-threaded.
 *
 *   bn infer|train N C S iterations warmup budget_seconds [fresh]
 *
 * With `fresh`, y is allocated (and freed) on every call, as a library that returns a new output array
 * must: the first touch of its pages is then part of the time (expensive on virtual machines).
 *
 * x is [N, C, S] float32 (S = product of the spatial dims; S = 1 for [N, C]).
 *   infer: y = x * a[c] + b[c], a = scale / sqrt(var + eps), b = B - mean * a
 *          (reads x once, writes y once: 8 bytes per element)
 *   train: mean pass over x, variance pass sum (x - mean)^2 over x (two-pass, float64 accumulators),
 *          then y = x * a[c] + b[c] with the batch statistics, plus the running mean/var update
 *          (reads x three times, writes y once: 16 bytes per element)
 * Prints one JSON line: {"samples_ms":[...],"checksum":...}.
 */
#define _POSIX_C_SOURCE 200112L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static float *alloc_floats(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) {
    fprintf(stderr, "bn: cannot allocate %zu floats\n", n);
    exit(2);
  }
  return (float *)p;
}

static void infer(const float *restrict x, float *restrict y, size_t n, size_t c, size_t s, const float *scale,
                  const float *bias, const float *mean, const float *var, float eps, float *restrict a, float *restrict b) {
  for (size_t k = 0; k < c; k++) {
    a[k] = scale[k] / sqrtf(var[k] + eps);
    b[k] = bias[k] - mean[k] * a[k];
  }
  if (s == 1) {
    for (size_t i = 0; i < n; i++) {
      const float *xr = x + i * c;
      float *yr = y + i * c;
      for (size_t k = 0; k < c; k++) yr[k] = xr[k] * a[k] + b[k];
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < c; k++) {
      const float *xr = x + (i * c + k) * s;
      float *yr = y + (i * c + k) * s;
      const float ak = a[k], bk = b[k];
      for (size_t j = 0; j < s; j++) yr[j] = xr[j] * ak + bk;
    }
  }
}

static void train(const float *restrict x, float *restrict y, size_t n, size_t c, size_t s, const float *scale,
                  const float *bias, float *running_mean, float *running_var, float eps, float momentum,
                  double *restrict sum, float *restrict a, float *restrict b) {
  const double count = (double)n * (double)s;
  /* pass 1: mean */
  memset(sum, 0, c * sizeof(double));
  if (s == 1) {
    for (size_t i = 0; i < n; i++) {
      const float *xr = x + i * c;
      for (size_t k = 0; k < c; k++) sum[k] += xr[k];
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      for (size_t k = 0; k < c; k++) {
        const float *xr = x + (i * c + k) * s;
        double acc = 0;
#pragma omp simd reduction(+ : acc)
        for (size_t j = 0; j < s; j++) acc += xr[j];
        sum[k] += acc;
      }
    }
  }
  for (size_t k = 0; k < c; k++) a[k] = (float)(sum[k] / count); /* a holds the mean for now */
  /* pass 2: population variance, sum of squared deviations */
  memset(sum, 0, c * sizeof(double));
  if (s == 1) {
    for (size_t i = 0; i < n; i++) {
      const float *xr = x + i * c;
      for (size_t k = 0; k < c; k++) {
        const double d = (double)xr[k] - a[k];
        sum[k] += d * d;
      }
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      for (size_t k = 0; k < c; k++) {
        const float *xr = x + (i * c + k) * s;
        const double m = a[k];
        double acc = 0;
#pragma omp simd reduction(+ : acc)
        for (size_t j = 0; j < s; j++) {
          const double d = (double)xr[j] - m;
          acc += d * d;
        }
        sum[k] += acc;
      }
    }
  }
  for (size_t k = 0; k < c; k++) {
    const float mean = a[k];
    const double variance = sum[k] / count;
    running_mean[k] = running_mean[k] * momentum + mean * (1 - momentum);
    running_var[k] = running_var[k] * momentum + (float)variance * (1 - momentum);
    a[k] = scale[k] / sqrtf((float)variance + eps);
    b[k] = bias[k] - mean * a[k];
  }
  /* pass 3: normalize */
  if (s == 1) {
    for (size_t i = 0; i < n; i++) {
      const float *xr = x + i * c;
      float *yr = y + i * c;
      for (size_t k = 0; k < c; k++) yr[k] = xr[k] * a[k] + b[k];
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < c; k++) {
      const float *xr = x + (i * c + k) * s;
      float *yr = y + (i * c + k) * s;
      const float ak = a[k], bk = b[k];
      for (size_t j = 0; j < s; j++) yr[j] = xr[j] * ak + bk;
    }
  }
}

int main(int argc, char **argv) {
  if ((argc != 8 && argc != 9) || (strcmp(argv[1], "infer") != 0 && strcmp(argv[1], "train") != 0) ||
      (argc == 9 && strcmp(argv[8], "fresh") != 0)) {
    fprintf(stderr, "usage: bn infer|train N C S iterations warmup budget_seconds [fresh]\n");
    return 1;
  }
  const int fresh = argc == 9;
  const int training = strcmp(argv[1], "train") == 0;
  const size_t n = strtoull(argv[2], NULL, 10), c = strtoull(argv[3], NULL, 10), s = strtoull(argv[4], NULL, 10);
  const int iterations = atoi(argv[5]), warmup = atoi(argv[6]);
  const double budget_ms = atof(argv[7]) * 1e3;
  const size_t total = n * c * s;
  float *x = alloc_floats(total), *y = alloc_floats(total);
  float *scale = alloc_floats(c), *bias = alloc_floats(c), *mean = alloc_floats(c), *var = alloc_floats(c);
  float *a = alloc_floats(c), *b = alloc_floats(c);
  double *sum = (double *)malloc(c * sizeof(double));
  uint32_t state = 7;
  for (size_t i = 0; i < total; i++) {
    state = state * 1664525u + 1013904223u;
    x[i] = (float)state / 2147483648.0f - 1.0f;
  }
  memset(y, 0, total * sizeof(float)); /* touch the pages before timing */
  for (size_t k = 0; k < c; k++) {
    scale[k] = 0.5f + (float)(k % 13) / 13.0f;
    bias[k] = 0.01f * (float)(k % 5);
    mean[k] = 0.02f * (float)(k % 3);
    var[k] = 0.75f + (float)(k % 7) / 14.0f;
  }
  const float eps = 1e-5f, momentum = 0.9f;
  double *samples = (double *)malloc(sizeof(double) * (size_t)(iterations > 0 ? iterations : 1));
  int taken = 0;
  double spent = 0;
  for (int it = -warmup; it < iterations; it++) {
    const double t0 = now_ms();
    float *out = fresh ? alloc_floats(total) : y;
    if (training) train(x, out, n, c, s, scale, bias, mean, var, eps, momentum, sum, a, b);
    else infer(x, out, n, c, s, scale, bias, mean, var, eps, a, b);
    if (fresh) {
      y[it & 1023] = out[(size_t)(it & 1023) % total]; /* keep the result observable */
      free(out);
    }
    const double dt = now_ms() - t0;
    if (it < 0) continue;
    samples[taken++] = dt;
    spent += dt;
    if (taken >= 3 && spent >= budget_ms) break;
  }
  double checksum = 0;
  for (size_t i = 0; i < total; i += 4099) checksum += y[i];
  printf("{\"samples_ms\":[");
  for (int i = 0; i < taken; i++) printf("%s%.6f", i ? "," : "", samples[i]);
  printf("],\"checksum\":%.6f}\n", checksum);
  return 0;
}
