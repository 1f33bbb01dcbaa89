// Platforms as containerd's platforms package normalises and matches them: what `--platform`
// accepts, how an image's platform is compared with it, and the canonical form errors show.
#pragma once

#include <string>

namespace imgmount {

/// An OS/architecture pair with optional variant, e.g. linux/arm64/v8, as written by an image
/// or a user; Normalized() gives its canonical form.
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;

  /// The canonical "os/arch[/variant]" (e.g. linux/arm64/v8, linux/arm/v7, linux/amd64), or
  /// "unknown" when neither OS nor architecture is known.
  std::string ToString() const;
  /// The canonical form: lower case, aliases resolved (aarch64 -> arm64, x86_64 -> amd64,
  /// armhf -> arm/v7, armel -> arm/v6, i386 -> 386, macos -> darwin), arm64's variant v8 and
  /// arm's v7 when none is given, amd64's v1 dropped, an empty OS beside an architecture linux.
  Platform Normalized() const;
  /// Parses "os/arch[/variant]", a lone architecture ("arm64", "x86_64": OS linux) or a lone OS
  /// ("linux": this machine's architecture), case-insensitively; throws kUsage otherwise.
  static Platform Parse(const std::string& text);
  /// The platform of this machine (linux/amd64, linux/arm64/v8, ...), canonical.
  static Platform Host();
  /// Whether `this` and `other` are the same platform once both are normalised (so arm64
  /// matches arm64/v8, armhf matches arm/v7, but arm/v7 does not match arm/v6).
  bool Matches(const Platform& other) const;
};

}  // namespace imgmount
