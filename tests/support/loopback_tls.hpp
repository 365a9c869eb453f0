// A one-thread HTTPS server on 127.0.0.1 for tests: presents a given certificate chain and
// answers every request with a fixed status, and records the SNI names it was asked for.
// Stands in for an ingress gateway; loopback only, by design.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace meshlab::test {

class LoopbackTls {
public:
  // `chain_pem`: the server certificate then its intermediates; `key_pem`: its key.
  LoopbackTls(const std::string& chain_pem, const std::string& key_pem, int status = 200) : m_status(status) {
    m_ctx = SSL_CTX_new(TLS_server_method());
    BIO* bio = BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()));
    bool first = true;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (first) {
        SSL_CTX_use_certificate(m_ctx, cert);
        X509_free(cert);
        first = false;
      } else {
        SSL_CTX_add_extra_chain_cert(m_ctx, cert); // takes ownership
      }
    }
    BIO_free(bio);
    ERR_clear_error();
    bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (first || key == nullptr || SSL_CTX_use_PrivateKey(m_ctx, key) != 1)
      throw std::runtime_error("loopback TLS server: bad certificate or key");
    EVP_PKEY_free(key);

    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_fd, 8) != 0)
      throw std::runtime_error("loopback TLS server: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~LoopbackTls() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
    SSL_CTX_free(m_ctx);
  }
  LoopbackTls(const LoopbackTls&) = delete;
  LoopbackTls& operator=(const LoopbackTls&) = delete;

  int port() const { return m_port; }
  std::vector<std::string> server_names() const {
    const std::lock_guard lock(m_mutex);
    return m_names;
  }

private:
  void serve() {
    // A client that hangs up first would raise SIGPIPE on our next write; blocked in this
    // thread only, the write fails with EPIPE instead and the test process lives on.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    while (!m_stop) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      const int client = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      SSL* ssl = SSL_new(m_ctx);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) == 1) {
        if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
          const std::lock_guard lock(m_mutex);
          m_names.emplace_back(name);
        }
        char buffer[4096];
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
          const int n = SSL_read(ssl, buffer, sizeof buffer);
          if (n <= 0) break;
          request.append(buffer, static_cast<std::size_t>(n));
        }
        const std::string response = "HTTP/1.1 " + std::to_string(m_status) +
                                     " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        SSL_shutdown(ssl);
      }
      ERR_clear_error();
      SSL_free(ssl);
      ::close(client);
    }
  }

  SSL_CTX* m_ctx = nullptr;
  int m_status;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_names;
};

} // namespace meshlab::test
