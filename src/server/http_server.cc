#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>

namespace skyrun {

namespace {

using SteadyClock = std::chrono::steady_clock;

void CloseSocket(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// Closes a connection whose request body was left unread (411, 413): closing
// at once would reset the connection, and the client could lose the answer.
// So the answer is finished (FIN), and what the client still sends is read
// and dropped for a short while.
void LingerClose(int sock) {
  ::shutdown(sock, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  char buf[16384];
  size_t dropped = 0;
  while (std::chrono::steady_clock::now() < deadline && dropped < (8u << 20)) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    if (n > 0) dropped += static_cast<size_t>(n);
  }
  ::close(sock);
}

// Runs each task at once on the caller's thread: httplib's accept loop hands
// every accepted socket to process_and_close_socket, which only parks it in
// the gate, so nothing blocks the accept loop.
class InlineQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

int MillisUntil(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

void AddressOf(int sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
  }
  ip = buf;
}

}  // namespace

// One connection as httplib sees it while a worker serves a request: reads
// come first from the head already taken off the socket, then from the
// socket with time limits; writes are bounded too. Every wait is cut into
// 100 ms slices so that a stopping server is noticed.
class HardenedHttpServer::ConnStream : public httplib::Stream {
 public:
  ConnStream(int sock, const HttpLimits& limits, const std::atomic<bool>& stopping)
      : sock_(sock),
        limits_(limits),
        stopping_(stopping),
        body_deadline_(SteadyClock::now() + std::chrono::milliseconds(limits.body_timeout_ms)) {}

  // Takes the head (already complete in the socket buffer) off the socket.
  bool Prefill(size_t head_bytes) {
    head_.resize(head_bytes);
    size_t got = 0;
    while (got < head_bytes) {
      ssize_t n = ::recv(sock_, head_.data() + got, head_bytes - got, MSG_DONTWAIT);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  }

  bool is_readable() const override { return head_pos_ < head_.size() || Wait(POLLIN, ReadDeadline()); }

  // False once the client is gone, so a stream stops instead of waiting for
  // output that nobody reads.
  bool is_writable() const override {
    if (PeerGone()) return false;
    return Wait(POLLOUT, SteadyClock::now() + std::chrono::milliseconds(limits_.io_timeout_ms));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (head_pos_ < head_.size()) {
      size_t n = std::min(size, head_.size() - head_pos_);
      std::memcpy(ptr, head_.data() + head_pos_, n);
      head_pos_ += n;
      return static_cast<ssize_t>(n);
    }
    // Never read more than asked: bytes past this request belong to the next
    // one, which the gate will wait for.
    while (true) {
      if (!Wait(POLLIN, ReadDeadline())) return -1;
      ssize_t n = ::recv(sock_, ptr, size, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return n;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (size >= 7 && std::memcmp(ptr, "HTTP/1.", 7) == 0) {
      // A response head: a handler that refused a request before reading its
      // body (411, 413) asks for the connection to be closed.
      std::string_view head(ptr, size);
      if (head.find("\r\nConnection: close\r\n") != std::string_view::npos) close_requested_ = true;
    }
    while (true) {
      if (!Wait(POLLOUT, SteadyClock::now() + std::chrono::milliseconds(limits_.io_timeout_ms))) return -1;
      ssize_t n = ::send(sock_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { AddressOf(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { AddressOf(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }

  bool close_requested() const { return close_requested_; }

 private:
  SteadyClock::time_point ReadDeadline() const {
    return std::min(body_deadline_, SteadyClock::now() + std::chrono::milliseconds(limits_.io_timeout_ms));
  }

  bool Wait(short events, SteadyClock::time_point deadline) const {
    while (!stopping_) {
      pollfd p{sock_, events, 0};
      int rc = ::poll(&p, 1, std::min(100, MillisUntil(deadline)));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return false;
      if (rc > 0) return true;  // ready, or an error the next call reports
      if (SteadyClock::now() >= deadline) return false;
    }
    return false;
  }

  bool PeerGone() const {
    pollfd p{sock_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
    char c;
    ssize_t n = ::recv(sock_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
  }

  int sock_;
  const HttpLimits& limits_;
  const std::atomic<bool>& stopping_;
  SteadyClock::time_point body_deadline_;
  std::string head_;
  size_t head_pos_ = 0;
  bool close_requested_ = false;
};

// The head gate: one epoll thread holding every connection that has not yet
// sent a complete request head, with a deadline each.
class HardenedHttpServer::Gate {
 public:
  explicit Gate(HardenedHttpServer* owner) : owner_(owner) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    thread_ = std::thread([this] { Run(); });
  }

  ~Gate() {
    Stop();
    ::close(wake_fd_);
    ::close(epoll_fd_);
  }

  // Closes every waiting connection; later Adds close theirs at once.
  void Stop() {
    if (stop_.exchange(true)) return;
    uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
      // The eventfd cannot be full; the loop also wakes every 100 ms.
    }
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [sock, deadline] : pending_) CloseSocket(sock);
    pending_.clear();
  }

  // Parks a connection until its next request head is complete.
  void Add(int sock) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || static_cast<int>(pending_.size()) >= owner_->limits_.max_pending_connections) {
      CloseSocket(sock);
      return;
    }
    pending_[sock] = SteadyClock::now() + std::chrono::milliseconds(owner_->limits_.head_timeout_ms);
    epoll_event ev{};
    // Edge-triggered: the head stays in the socket (peeked, not read), so a
    // level-triggered wait would wake at once again.
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.fd = sock;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sock, &ev) != 0) {
      pending_.erase(sock);
      CloseSocket(sock);
    }
  }

 private:
  void Run() {
    std::string peek(owner_->limits_.max_head_bytes, '\0');
    epoll_event events[256];
    auto next_sweep = SteadyClock::now();
    while (!stop_) {
      int n = ::epoll_wait(epoll_fd_, events, 256, 100);
      for (int i = 0; i < n; ++i) {
        int sock = events[i].data.fd;
        if (sock == wake_fd_) continue;
        Check(sock, peek);
      }
      if (SteadyClock::now() >= next_sweep) {
        Sweep();
        next_sweep = SteadyClock::now() + std::chrono::milliseconds(100);
      }
    }
  }

  // Dispatches the connection if its head is complete, closes it if the
  // client left or the head is too large; else it keeps waiting.
  void Check(int sock, std::string& peek) {
    ssize_t n = ::recv(sock, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    std::string_view seen(peek.data(), n > 0 ? static_cast<size_t>(n) : 0);
    size_t end = seen.find("\r\n\r\n");
    if (n > 0 && end == std::string_view::npos && seen.size() < peek.size()) return;  // not yet
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.erase(sock) == 0) return;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sock, nullptr);
    }
    if (n <= 0 || end == std::string_view::npos) {
      CloseSocket(sock);  // gone, failed, or a head larger than max_head_bytes
      return;
    }
    owner_->Dispatch(sock, end + 4, owner_->is_stream_ && owner_->is_stream_(seen.substr(0, end + 4)));
  }

  void Sweep() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = SteadyClock::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second <= now) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
        CloseSocket(it->first);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }

  HardenedHttpServer* owner_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unordered_map<int, SteadyClock::time_point> pending_;  // socket -> head deadline
  std::thread thread_;
};

HardenedHttpServer::HardenedHttpServer(HttpLimits limits, StreamClassifier is_stream)
    : limits_(limits), is_stream_(std::move(is_stream)) {}

HardenedHttpServer::~HardenedHttpServer() {
  Shutdown();
}

Result<int> HardenedHttpServer::Start(const std::string& host, int port) {
  // SO_REUSEADDR only: a restarted server may bind over TIME_WAIT
  // connections, but no second live server can share the port.
  set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  set_tcp_nodelay(true);  // small JSON answers: no Nagle + delayed-ACK stalls
  new_task_queue = [] { return new InlineQueue(); };
  int bound = port;
  if (port == 0) {
    bound = bind_to_any_port(host);
    if (bound <= 0) return Unavailable("cannot bind to " + host);
  } else if (!bind_to_port(host, port)) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                       ": the address is in use or not available (is another server running there? choose "
                       "another with --listen HOST:PORT)");
  }
  // The library listened with its compiled-in backlog of 5; listen() again
  // only resizes the queue of the already listening socket.
  ::listen(svr_sock_, limits_.backlog);
  request_pool_ = std::make_unique<httplib::ThreadPool>(static_cast<size_t>(limits_.request_threads));
  stream_pool_ = std::make_unique<httplib::ThreadPool>(static_cast<size_t>(limits_.stream_threads));
  gate_ = std::make_unique<Gate>(this);
  listen_thread_ = std::thread([this] { listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it.
  for (int i = 0; i < 2000 && !is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return bound;
}

void HardenedHttpServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  stop();
  if (listen_thread_.joinable()) listen_thread_.join();
  // The gate first (no more dispatches), then the pools (their workers may
  // still hand connections to the stopped gate, which closes them).
  if (gate_) gate_->Stop();
  if (request_pool_) request_pool_->shutdown();
  if (stream_pool_) stream_pool_->shutdown();
  gate_.reset();
}

bool HardenedHttpServer::process_and_close_socket(socket_t sock) {
  gate_->Add(sock);
  return true;
}

void HardenedHttpServer::Dispatch(socket_t sock, size_t head_bytes, bool stream) {
  httplib::ThreadPool* pool = stream ? stream_pool_.get() : request_pool_.get();
  pool->enqueue([this, sock, head_bytes] { Serve(sock, head_bytes); });
}

void HardenedHttpServer::Serve(socket_t sock, size_t head_bytes) {
  if (stopping_) return CloseSocket(sock);
  ConnStream strm(sock, limits_, stopping_);
  if (!strm.Prefill(head_bytes)) return CloseSocket(sock);
  bool connection_closed = false;
  bool ok = process_request(strm, /*close_connection=*/false, connection_closed, nullptr);
  if (strm.close_requested()) return LingerClose(sock);
  if (!ok || connection_closed || stopping_) return CloseSocket(sock);
  gate_->Add(sock);
}

}  // namespace skyrun
