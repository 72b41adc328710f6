#include "temp_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace eventhub::test {

namespace fs = std::filesystem;

namespace {

bool keep_requested() {
  const char* v = std::getenv("EVENTHUB_KEEP_TEST_DIRS");
  return v != nullptr && std::string_view(v) == "1";
}

fs::path temp_base() {
  const char* v = std::getenv("TMPDIR");
  return (v != nullptr && *v != '\0') ? fs::path(v) : fs::path("/tmp");
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (temp_base() / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = fs::path(buf.data());
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), keep_(other.keep_) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    keep_ = other.keep_;
  }
  return *this;
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  if (keep_ || keep_requested()) {
    std::cerr << "eventhub test: keeping " << path_.string() << '\n';
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
  // A leftover directory is not worth failing a test over, but it should not go unnoticed.
  if (ec) {
    std::cerr << "eventhub test: could not remove " << path_.string() << ": " << ec.message()
              << '\n';
  }
  path_.clear();
}

void TempDir::chown_to(const std::string& user) const {
  const UserIds ids = lookup_user(user);
  chown_recursive(path_, ids.uid, ids.gid);
}

UserIds lookup_user(const std::string& user) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "getpwnam_r " + user);
  if (found == nullptr) throw std::runtime_error("no such user: " + user);
  return {pw.pw_uid, pw.pw_gid};
}

void chown_recursive(const fs::path& root, uid_t uid, gid_t gid) {
  auto change = [&](const fs::path& p) {
    if (::lchown(p.c_str(), uid, gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + p.string());
    }
  };
  change(root);
  if (!fs::is_directory(fs::symlink_status(root))) return;
  for (const auto& entry : fs::recursive_directory_iterator(root)) change(entry.path());
}

}  // namespace eventhub::test
