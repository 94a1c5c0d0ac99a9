//===- RuntimeMain.cpp - The generic main of compiled models --------------===//
//
// Drives a compiled model from the command line (docs/Runtime.md): parses
// the options, brings up the target's device, opens a Session over the
// executable's entries and hands it to the runner of the model's kind
// (Runners.h), which validates every file before any compute and writes the
// results. Errors become one `error: ...` line and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/RuntimeMain.h"

#include "CommandLine.h"
#include "Runners.h"
#include "rat/Runtime/Device.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/Session.h"

#include <cstdio>
#include <new>

using namespace rat;

namespace {

int run(int argc, char **argv, const char *manifestText,
        const RatEntry *entries, int64_t numEntries) {
  if (!manifestText)
    throw RatError("corrupt executable: no __rat_manifest");
  Manifest manifest = parseManifest(manifestText);
  CommandLineOptions options = parseOptions(argc, argv);
  if (options.help) {
    printUsage(manifest, options);
    return 0;
  }
  if (options.printManifest) {
    std::fputs(manifestText, stdout);
    return 0;
  }
  checkOptionsApply(options, manifest.kind);
  checkOutputPaths(options);

  Log log(options.verbose);
  Clock::time_point begin = Clock::now();
  Device device = openDevice(
      manifest.target, options.device ? static_cast<int>(*options.device) : -1);
  logModelAndDevice(log, manifest, device, begin);

  {
    SessionOptions sessionOptions;
    sessionOptions.verbose = options.verbose;
    if (options.noGraphs)
      sessionOptions.noDecodeGraphsReason = "--no-graphs or RAT_NO_GRAPHS";
    Session session(manifest, entries, numEntries, device, sessionOptions);
    switch (manifest.kind) {
    case ModelKind::RatLayer:
      runRatLayer(session, options);
      break;
    case ModelKind::Lm:
      runLm(session, options);
      break;
    case ModelKind::Function:
      runFunction(session, options);
      break;
    }
  }
  if (device.execution) {
    // Every tensor is back in the allocator's cache: return it all.
    device.execution->releaseCachedMemory();
    log.note("device memory: " + device.execution->memoryReport());
  }
  return 0;
}

} // namespace

int rat::runtimeMain(int argc, char **argv, const char *manifestText,
                     const RatEntry *entries, int64_t numEntries) {
  try {
    return run(argc, argv, manifestText, entries, numEntries);
  } catch (const RatError &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "error: out of memory\n");
  } catch (const std::exception &error) {
    std::fprintf(stderr, "error: internal: %s\n", error.what());
  }
  return 1;
}
