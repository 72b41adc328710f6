#pragma once
// TempDir: a fresh directory under $TMPDIR (or /tmp), owned by the fixture that creates it and
// removed with everything in it when that fixture goes away. Set EVENTHUB_KEEP_TEST_DIRS=1 to keep
// it (its path is printed to stderr) when a failing test's server logs or data are needed.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace eventhub::test {

class TempDir {
 public:
  // Throws std::system_error when the directory cannot be created.
  explicit TempDir(std::string_view prefix = "eventhub-test");
  ~TempDir();

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& child) const {
    return path_ / child;
  }

  // Gives the directory and everything under it to `user` (and its primary group), e.g. `postgres`
  // before running initdb as that user. Throws if the user is unknown or chown fails.
  void chown_to(const std::string& user) const;
  // Keep the directory on destruction regardless of EVENTHUB_KEEP_TEST_DIRS.
  void keep() { keep_ = true; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;
  bool keep_ = false;
};

struct UserIds {
  uid_t uid;
  gid_t gid;
};
// Throws std::runtime_error naming the user when it does not exist.
UserIds lookup_user(const std::string& user);

// chown -R; symlinks themselves are changed, never followed.
void chown_recursive(const std::filesystem::path& root, uid_t uid, gid_t gid);

}  // namespace eventhub::test
