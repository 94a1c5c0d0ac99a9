/*===- Abi.h - Symbols a compiled model defines -------------------*- C -*-===*\
|*                                                                            *|
|* The interface between an object file produced by rat-compile and the       *|
|* generic main of lib/Runtime (docs/Runtime.md). Valid C and C++, so that    *|
|* hand-written test models in C can include it.                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef RAT_RUNTIME_ABI_H
#define RAT_RUNTIME_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One entry point. `fn` takes the packed argument array: when the entry has
 *  results, args[0] points to a buffer the callee fills with the result
 *  memref descriptors back to back and argument i is args[i + 1]; otherwise
 *  argument i is args[i]. A tensor argument is a pointer to its descriptor,
 *  an index argument a pointer to an int64_t. */
typedef struct RatEntry {
  const char *name;
  void (*fn)(void **args);
} RatEntry;

/** NUL-terminated manifest text (grammar in docs/Runtime.md). */
extern const char __rat_manifest[];
/** The entry points, __rat_num_entries of them. */
extern const RatEntry __rat_entries[];
extern const int64_t __rat_num_entries;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RAT_RUNTIME_ABI_H */
