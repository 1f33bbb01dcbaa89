// imgmount's entry point: dispatches to the mount or to a FUSE-free command.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/cli_common.h"
#include "tools/verbs.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return imgmount::RunReportingErrors([&]() -> int {
    if (args.empty()) {
      imgmount::RunMount({"--help"});
      return 2;
    }
    const std::string& first = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (first == "-V" || first == "--version") {
      std::printf("imgmount %s\n", IMGMOUNT_VERSION);
      return 0;
    }
    if (first == "-u" || first == "--unmount") return imgmount::RunUnmount(rest);
    if (first == "ls") return imgmount::RunLs(rest);
    if (first == "cat") return imgmount::RunCat(rest);
    if (first == "inspect") return imgmount::RunInspect(rest);
    if (first == "export") return imgmount::RunExport(rest);
    if (first == "verify") return imgmount::RunVerify(rest);
    if (first == "which") return imgmount::RunWhich(rest);
    if (first == "diff") return imgmount::RunDiff(rest);
    if (first == "cache") return imgmount::RunCache(rest);
    if (first == "mount") return imgmount::RunMount(rest);
    return imgmount::RunMount(args);
  });
}
