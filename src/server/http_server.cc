#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

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
  // `request`: the request as the gate read it (and perhaps the start of the next).
  ConnStream(int sock, std::string request, const HttpLimits& limits, const std::atomic<bool>& stopping)
      : sock_(sock),
        limits_(limits),
        stopping_(stopping),
        body_deadline_(SteadyClock::now() + std::chrono::milliseconds(limits.body_timeout_ms)),
        head_(std::move(request)) {}

  // Bytes read from the socket that this request did not use.
  std::string TakeLeftover() { return head_.substr(head_pos_); }

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
    // Only when a handler reads past what the gate collected. Never read more
    // than asked: bytes past this request belong to the next one.
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

// The gate: one epoll thread holding every connection that has not yet sent
// a complete request, head and body, with a deadline each. It reads what
// arrives into the connection's buffer and dispatches the request to a
// worker only when it is complete.
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
    Wake();
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [sock, conn] : pending_) CloseSocket(sock);
    pending_.clear();
    buffered_ = 0;
  }

  // Parks a connection until its next request is complete. `leftover`: bytes
  // of that request already read (a pipelining client).
  void Add(int sock, std::string leftover = "") {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || static_cast<int>(pending_.size()) >= owner_->limits_.max_pending_connections) {
      CloseSocket(sock);
      return;
    }
    Conn& conn = pending_[sock];
    conn.deadline = SteadyClock::now() + std::chrono::milliseconds(owner_->limits_.head_timeout_ms);
    epoll_event ev{};
    // Edge-triggered: every arrival is read to EAGAIN.
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.fd = sock;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sock, &ev) != 0) {
      pending_.erase(sock);
      CloseSocket(sock);
      return;
    }
    if (!leftover.empty()) {
      // No new bytes may come to wake the gate: look at these now.
      buffered_ += leftover.size();
      conn.buf = std::move(leftover);
      recheck_.push_back(sock);
      Wake();
    }
  }

 private:
  struct Conn {
    SteadyClock::time_point deadline;
    std::string buf;
    size_t need = 0;  // bytes of the whole request once its head is known; 0 before
  };

  void Wake() {
    uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
      // The eventfd cannot be full; the loop also wakes every 100 ms.
    }
  }

  void Run() {
    epoll_event events[256];
    auto next_sweep = SteadyClock::now();
    while (!stop_) {
      int n = ::epoll_wait(epoll_fd_, events, 256, 100);
      std::vector<int> ready;
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_fd_) {
          uint64_t count;
          if (::read(wake_fd_, &count, sizeof count) < 0) {
            // Nothing to drain.
          }
          continue;
        }
        ready.push_back(events[i].data.fd);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready.insert(ready.end(), recheck_.begin(), recheck_.end());
        recheck_.clear();
      }
      for (int sock : ready) Check(sock);
      if (SteadyClock::now() >= next_sweep) {
        Sweep();
        next_sweep = SteadyClock::now() + std::chrono::milliseconds(100);
      }
    }
  }

  // Reads what arrived; dispatches the connection if its request is
  // complete, closes it if the client left or broke a limit.
  void Check(int sock) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = pending_.find(sock);
    if (it == pending_.end()) return;
    Conn& conn = it->second;
    bool gone = false;
    char chunk[65536];
    while (true) {
      ssize_t n = ::recv(sock, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        conn.buf.append(chunk, static_cast<size_t>(n));
        buffered_ += static_cast<size_t>(n);
        if (conn.buf.size() > owner_->limits_.max_head_bytes + owner_->limits_.max_body_bytes ||
            buffered_ > owner_->limits_.max_buffered_bytes) {
          break;  // more than any request may be: settled below
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      gone = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
    if (conn.need == 0) {
      size_t end = conn.buf.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (gone || conn.buf.size() > owner_->limits_.max_head_bytes) return Drop(sock, lock);
        return;
      }
      conn.need = end + 4 + BodyBytes(std::string_view(conn.buf).substr(0, end + 4), sock);
      // The head is in: the body gets its own time.
      conn.deadline = SteadyClock::now() + std::chrono::milliseconds(owner_->limits_.body_timeout_ms);
    }
    if (conn.buf.size() < conn.need) {
      if (gone || buffered_ > owner_->limits_.max_buffered_bytes) return Drop(sock, lock);
      return;
    }
    std::string buf = std::move(conn.buf);
    size_t head_end = buf.find("\r\n\r\n") + 4;
    buffered_ -= buf.size();
    pending_.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sock, nullptr);
    lock.unlock();
    bool stream = owner_->is_stream_ && owner_->is_stream_(std::string_view(buf).substr(0, head_end));
    owner_->Dispatch(sock, std::move(buf), stream);
  }

  // The body bytes to wait for: its Content-Length when the server will
  // read it; 0 when a handler refuses the request first (no length, or over
  // the limit: 411 and 413 are answered without the body).
  size_t BodyBytes(std::string_view head, int sock) {
    std::string lower(head);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    size_t value = at + 17;
    size_t eol = lower.find("\r\n", value);
    uint64_t length = 0;
    bool digits = false;
    for (size_t i = value; i < eol; ++i) {
      char c = lower[i];
      if (c == ' ' || c == '\t') continue;
      if (c < '0' || c > '9' || length > (1ULL << 40)) return 0;
      length = length * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
    }
    if (!digits || length > owner_->limits_.max_body_bytes) return 0;
    // A client that waits for "100 Continue" before sending its body gets
    // it here (the library may send a second one, which HTTP allows).
    if (length > 0 && lower.find("\r\nexpect: 100-continue") != std::string::npos) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (::send(sock, kContinue, sizeof kContinue - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        // The client is gone or stalled; the deadline settles it.
      }
    }
    return static_cast<size_t>(length);
  }

  void Drop(int sock, std::unique_lock<std::mutex>& lock) {
    auto it = pending_.find(sock);
    buffered_ -= it->second.buf.size();
    pending_.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sock, nullptr);
    lock.unlock();
    CloseSocket(sock);
  }

  void Sweep() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = SteadyClock::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
        CloseSocket(it->first);
        buffered_ -= it->second.buf.size();
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
  std::unordered_map<int, Conn> pending_;  // socket -> what arrived so far
  std::vector<int> recheck_;               // sockets added with bytes already read
  size_t buffered_ = 0;                    // bytes held in all buffers
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

void HardenedHttpServer::Dispatch(socket_t sock, std::string request, bool stream) {
  httplib::ThreadPool* pool = stream ? stream_pool_.get() : request_pool_.get();
  pool->enqueue([this, sock, request = std::move(request)]() mutable { Serve(sock, std::move(request)); });
}

void HardenedHttpServer::Serve(socket_t sock, std::string request) {
  if (stopping_) return CloseSocket(sock);
  ConnStream strm(sock, std::move(request), limits_, stopping_);
  bool connection_closed = false;
  bool ok = process_request(strm, /*close_connection=*/false, connection_closed, nullptr);
  if (strm.close_requested()) return LingerClose(sock);
  if (!ok || connection_closed || stopping_) return CloseSocket(sock);
  gate_->Add(sock, strm.TakeLeftover());
}

}  // namespace skyrun
