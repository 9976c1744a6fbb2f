// Real servers on loopback for the integration tests: s3rver (S3) and dynalite
// (DynamoDB), installed under tests/services by scripts/setup.sh. A
// ServiceProcess picks a free port, starts the server with a fresh temporary
// folder, waits until it accepts connections, and stops it when destroyed.
//
//   auto s3 = fixture::start_s3rver({"my-bucket"});
//   setenv("AWS_ENDPOINT_URL", s3->endpoint().c_str(), 1);
//   auto ddb = fixture::start_dynalite();
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef MASKWATCH_SERVICES_DIR
#define MASKWATCH_SERVICES_DIR "tests/services"
#endif

namespace fixture {

// tests/services (node_modules/.bin/s3rver, node_modules/.bin/dynalite);
// $MASKWATCH_SERVICES_DIR overrides the compiled-in path.
inline std::string services_dir() {
  const char* e = std::getenv("MASKWATCH_SERVICES_DIR");
  return e && *e ? e : MASKWATCH_SERVICES_DIR;
}

// A port that was free a moment ago (bind to port 0, read it back, close).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class ServiceProcess {
 public:
  // argv[0] is the program (run through PATH when it has no '/'); in every
  // argument "{port}" becomes the chosen port and "{dir}" a fresh empty folder.
  // The server's stdout and stderr go to {dir}/../<name>.log, quoted in errors.
  // env: "NAME=VALUE" entries set in the server's environment.
  ServiceProcess(std::string name, std::vector<std::string> argv,
                 std::chrono::milliseconds startup_timeout = std::chrono::seconds(20),
                 std::vector<std::string> env = {})
      : name_(std::move(name)) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / ("maskwatch-" + name_ + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    dir_ = root_ + "/data";
    log_ = root_ + "/" + name_ + ".log";
    fs::create_directories(dir_);
    port_ = free_port();
    for (auto& a : argv) {
      a = replace_all(a, "{port}", std::to_string(port_));
      a = replace_all(a, "{dir}", dir_);
    }
    if (argv.empty()) throw std::runtime_error(name_ + ": no command");
    if (argv[0].find('/') != std::string::npos && ::access(argv[0].c_str(), X_OK) != 0)
      throw std::runtime_error(name_ + ": " + argv[0] +
                               " is missing (run scripts/setup.sh to install the test services)");

    // Everything the child needs is built before fork (only async-signal-safe calls after it).
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) {
      std::string entry = *e;
      bool replaced = false;
      for (const auto& o : env) replaced |= entry.compare(0, o.find('=') + 1, o, 0, o.find('=') + 1) == 0;
      if (!replaced) environment.push_back(entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execvpe(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + startup_timeout;
    while (!accepts_connections(port_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error(name_ + " exited during start-up: " + log_text());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error(name_ + " did not accept connections on port " + std::to_string(port_) + ": " +
                                 log_text());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  ~ServiceProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string endpoint() const { return "http://" + host_port(); }
  std::string log_text() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // SIGTERM, then SIGKILL after two seconds; idempotent.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

 private:
  static std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
      s.replace(pos, from.size(), to);
    return s;
  }

  std::string name_, root_, dir_, log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// s3rver with the given buckets created at start-up; path-style addressing at
// endpoint() (http://127.0.0.1:PORT/bucket/key). It knows one access key id,
// "S3RVER" (secret "S3RVER"), and does not check SigV4 signatures themselves.
// Its ListObjectsV2 continuation tokens use DES, which Node 18+ (OpenSSL 3) only
// has with the legacy provider: without it every truncated listing is a 500.
inline std::unique_ptr<ServiceProcess> start_s3rver(const std::vector<std::string>& buckets = {}) {
  std::vector<std::string> argv = {services_dir() + "/node_modules/.bin/s3rver",
                                   "--directory",
                                   "{dir}",
                                   "--address",
                                   "127.0.0.1",
                                   "--port",
                                   "{port}",
                                   "--silent"};
  for (const auto& b : buckets) {
    argv.push_back("--configure-bucket");
    argv.push_back(b);
  }
  const char* node_options = std::getenv("NODE_OPTIONS");
  std::string options = std::string(node_options ? node_options : "") + " --openssl-legacy-provider";
  return std::make_unique<ServiceProcess>("s3rver", argv, std::chrono::seconds(20),
                                          std::vector<std::string>{"NODE_OPTIONS=" + options});
}

// dynalite in memory (tables become ACTIVE after create_table_ms).
inline std::unique_ptr<ServiceProcess> start_dynalite(int create_table_ms = 0) {
  std::vector<std::string> argv = {services_dir() + "/node_modules/.bin/dynalite",
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   "{port}",
                                   "--createTableMs",
                                   std::to_string(create_table_ms),
                                   "--deleteTableMs",
                                   std::to_string(create_table_ms)};
  return std::make_unique<ServiceProcess>("dynalite", argv);
}

}  // namespace fixture
