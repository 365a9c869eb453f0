// A one-thread HTTP/1.1 server on 127.0.0.1 for tests: answers every request with a
// handler's (status, body) and records what it was asked. Loopback only, by design.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace meshlab::test {

class LoopbackHttp {
public:
  struct Seen {
    std::string request_line; // "POST /api/v1/session HTTP/1.1"
    std::string body;
  };
  using Handler = std::function<std::pair<int, std::string>(const Seen&)>;

  explicit LoopbackHttp(Handler handler) : m_handler(std::move(handler)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 8) != 0)
      throw std::runtime_error("loopback server: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~LoopbackHttp() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_thread.join();
  }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(m_port) + path; }
  std::vector<Seen> seen() const {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

private:
  void serve() {
    while (!m_stop) {
      const int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      std::string data;
      char buffer[4096];
      std::size_t header_end = std::string::npos, content_length = 0;
      while (true) {
        const auto n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
          const auto pos = data.find("Content-Length: ");
          if (pos != std::string::npos && pos < header_end) content_length = std::stoul(data.substr(pos + 16));
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
      }
      Seen seen{data.substr(0, data.find("\r\n")),
                header_end == std::string::npos ? "" : data.substr(header_end + 4)};
      {
        std::lock_guard lock(m_mutex);
        m_seen.push_back(seen);
      }
      const auto [status, body] = m_handler(seen);
      const std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      [[maybe_unused]] auto written = ::write(client, response.data(), response.size());
      ::close(client);
    }
  }

  Handler m_handler;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::vector<Seen> m_seen;
  std::thread m_thread;
};

} // namespace meshlab::test
