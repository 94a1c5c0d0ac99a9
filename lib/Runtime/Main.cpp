//===- Main.cpp - main() of every compiled model --------------------------===//
//
// Kept in its own object file so that the linker only pulls it out of
// libRatRuntimeMain.a when nothing else defines main.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Abi.h"
#include "rat/Runtime/RuntimeMain.h"

int main(int argc, char **argv) {
  return rat::runtimeMain(argc, argv, __rat_manifest, __rat_entries,
                          __rat_num_entries);
}
