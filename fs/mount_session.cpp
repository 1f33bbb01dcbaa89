#define FUSE_USE_VERSION 312
#include "fs/mount_session.h"

#include <fuse3/fuse_lowlevel.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "fs/fuse_adapter.h"
#include "layers/base/error.h"

namespace imgmount {
namespace {

// On the address-sanitizer build, reports what the served requests left allocated and
// unreachable (a per-open state no release freed): the daemon ends with _exit, which skips the
// leak check LeakSanitizer makes at exit. Elsewhere it does nothing.
void CheckLeaksOfRequests() {
#if defined(__SANITIZE_ADDRESS__)
  __lsan_do_recoverable_leak_check();
#endif
}

}  // namespace

MountSession::MountSession(std::shared_ptr<LazyImage> image, const MountOptions& options)
    : context_(std::make_unique<FsContext>()) {
  context_->nodes = std::make_unique<NodeSource>(std::move(image));
  context_->layer_labels = options.layer_labels;
  context_->image_name = options.image_name;
  // Without allow_other only the mounting user sees the tree, and may read all of it; with it,
  // the kernel must enforce the image's permission bits.
  std::string opts = "ro,fsname=" + options.fsname + ",subtype=imgmount";
  bool shared = false;
  for (const auto& option : options.fuse_options) {
    opts += "," + option;
    if (option == "allow_other" || option == "allow_root") shared = true;
  }
  if (shared) opts += ",default_permissions";
  std::vector<std::string> argv_storage = {"imgmount", "-o", opts};
  if (options.debug) argv_storage.push_back("-d");
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  session_ =
      fuse_session_new(&args, &ImageFsOperations(), sizeof(fuse_lowlevel_ops), context_.get());
  fuse_opt_free_args(&args);
  if (session_ == nullptr) {
    throw Error(ErrorKind::kMount, EINVAL, "FUSE refused the options \"" + opts + "\"");
  }
  context_->session = session_;
  if (fuse_session_mount(session_, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(session_);
    session_ = nullptr;
    throw Error(ErrorKind::kMount, EIO,
                "cannot mount on " + options.mountpoint +
                    " (FUSE said why above; is /dev/fuse usable and fusermount3 installed?)");
  }
}

MountSession::~MountSession() {
  if (session_ == nullptr) return;
  if (context_->listing_invalidator.joinable()) context_->listing_invalidator.join();
  if (signals_set_) fuse_remove_signal_handlers(session_);
  fuse_session_unmount(session_);
  fuse_session_destroy(session_);
  CheckLeaksOfRequests();
}

int MountSession::Serve() {
  if (fuse_set_signal_handlers(session_) == 0) signals_set_ = true;
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(config, 0);
  fuse_loop_cfg_set_max_threads(config, 16);
  int result = fuse_session_loop_mt(session_, config);
  fuse_loop_cfg_destroy(config);
  return result < 0 ? 1 : 0;
}

}  // namespace imgmount
