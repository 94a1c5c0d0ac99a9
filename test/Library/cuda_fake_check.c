/* cuda_fake_check.c - a cuda model library on the simulated driver.
 *
 *   cuda_fake_check WEIGHTS
 *
 * Linked with the tiny LM built for cuda with --emit shared (cuda_fake.test)
 * and run on test/Runtime/fake_libcuda.c with no-op kernels: the numbers are
 * garbage, what is checked is the device path of the C API. Two models of
 * the library share its device; one asking for another device is refused;
 * generate runs twice with the same shapes, and the second call must replay
 * the CUDA graph the first captured (the driver's report counts captures).
 */

#include "rat/Runtime/rat_model.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  /* In order with the runtime's [rat] lines on stderr. */
  setvbuf(stdout, NULL, _IONBF, 0);
  rat_open_options options;
  rat_open_options_init(&options);
  options.weights = argv[1];
  options.verbose = 1;
  rat_model *model = NULL, *second = NULL, *other = NULL;
  if (rat_model_open(&options, &model) != RAT_OK) {
    printf("open: %s\n", rat_last_error());
    return 1;
  }
  rat_model_info info;
  rat_model_get_info(model, &info);
  printf("target %s\n", info.target);
  printf("second model: %s\n",
         rat_status_name(rat_model_open(&options, &second)));
  options.device = 1;
  rat_status status = rat_model_open(&options, &other);
  printf("device 1: %s: %s\n", rat_status_name(status), rat_last_error());

  int32_t prompt[16] = {80,  89,  180, 133, 117, 73, 64, 81,
                        212, 119, 12,  65,  6,   47, 28, 64};
  int32_t out[24];
  rat_tensor tokens = {prompt, RAT_I32, 2, {1, 16}};
  rat_tensor output = {out, RAT_I32, 2, {1, 24}};
  rat_generate_options generate;
  rat_generate_options_init(&generate);
  generate.max_new_tokens = 8;
  for (int i = 0; i < 2; ++i) {
    status = rat_model_generate(model, &tokens, &generate, &output, NULL);
    printf("generate %d: %s %s\n", i, rat_status_name(status),
           rat_last_error());
  }
  rat_model_close(second);
  rat_model_close(model);
  printf("closed\n");
  return 0;
}
