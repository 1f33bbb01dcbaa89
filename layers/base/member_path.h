// Normalisation of member names found in tar archives and manifests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgmount {

/// The components of a path, without empty and "." ones ("/a//./b/" -> {"a", "b"}).
std::vector<std::string_view> SplitPath(std::string_view path);

/// Normalises a tar member name: "./x", "/x", "x/", "x//y/." become "x", "x/y"; "" is the root.
/// Returns nullopt for names that must not be served: containing NUL or a ".." component.
std::optional<std::string> NormalizeMemberPath(std::string_view raw);

/// Whether `path` is already normal (NormalizeMemberPath(path) == path), without allocating: no
/// NUL, no leading, trailing or doubled '/', no "." or ".." component; "" (the root) is normal.
bool IsNormalMemberPath(std::string_view path);

/// A tar member name or hardlink target cleaned lexically, as docker, containerd and umoci
/// place it: "root/../ufo" is "ufo". nullopt for a name with NUL or one that climbs above the root
/// ("../x", "a/../../x"). Otherwise as NormalizeMemberPath.
std::optional<std::string> CleanMemberPath(std::string_view raw);

/// Joins a normalised directory and a relative path lexically, resolving "." and "..";
/// nullopt if the result would climb above the root or `relative` is absolute.
std::optional<std::string> JoinInside(std::string_view dir, std::string_view relative);

/// The directory part of a normalised path ("" for a top-level name).
std::string_view ParentPath(std::string_view path);

/// The last component of a normalised path.
std::string_view BaseName(std::string_view path);

/// A name from an image made fit for a message: control bytes and backslashes escaped as \xNN
/// (no forged lines), and a name over 200 bytes cut in the middle with its length stated.
std::string PrintableName(std::string_view name);

}  // namespace imgmount
