// imgmount's entry point: the command line (tools/command_line.h) with every verb.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/verbs.h"

namespace {

// Every layer of an OCI layout directory holds its blob file open: raise the soft limit of open
// files towards the hard one (at most 65536), so that an image of more layers than the usual
// 1024 still opens.
void RaiseOpenFileLimit() {
  constexpr rlim_t kWanted = 65536;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= kWanted) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? kWanted : std::min(kWanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// Keeps glibc to two malloc arenas: with one arena per thread, the many FUSE and decoder
// threads each keep freed memory of their own, which made the daemon's resident size under eight
// parallel readers 63 MiB instead of 49 MiB (cache_mb=4, tests/e2e/load.sh's image).
void LimitMallocArenas() {
  ::mallopt(M_ARENA_MAX, 2);
}

}  // namespace

int main(int argc, char** argv) {
  RaiseOpenFileLimit();
  LimitMallocArenas();
  imgmount::DieOfClosedPipes();
  std::vector<std::string> args(argv + 1, argv + argc);
  return imgmount::RunReportingErrors([&]() -> int {
    imgmount::CommandLine cli(IMGMOUNT_VERSION);
    imgmount::AddMountCommand(cli);
    imgmount::AddLsCommand(cli);
    imgmount::AddCatCommand(cli);
    imgmount::AddInspectCommand(cli);
    imgmount::AddHistoryCommand(cli);
    imgmount::AddConfigCommand(cli);
    imgmount::AddManifestCommand(cli);
    imgmount::AddImagesCommand(cli);
    imgmount::AddExportCommand(cli);
    imgmount::AddVerifyCommand(cli);
    imgmount::AddWhichCommand(cli);
    imgmount::AddDiffCommand(cli);
    imgmount::AddCacheCommand(cli);
    imgmount::AddStatusCommand(cli);
    imgmount::AddUnmountCommand(cli);
    return cli.Run(args);
  });
}
