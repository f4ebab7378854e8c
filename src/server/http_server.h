// HardenedHttpServer: cpp-httplib's request parsing and routing, with the
// connection handling replaced so that slow or hostile clients cannot take
// the API down.
//
//   * No worker waits for a client. Accepted connections, and keep-alive
//     connections between requests, wait in one epoll "gate" thread that
//     reads their request, head and Content-Length body, into a buffer; a
//     head not complete within head_timeout, or a body not within
//     body_timeout after it, closes the connection. Only a complete request
//     goes to a worker, so 1,000 slowloris (or slow-body) connections cost
//     file descriptors and bounded buffers, not threads.
//   * Every write has a time limit per call (io_timeout).
//   * Two pools: short requests, and long-lived streams (the classifier,
//     given the request head, says which). A stream can never starve a
//     request, and the stream pool's size bounds the streams served at once.
//   * Stream::is_writable is false once the client has gone (peer closed or
//     reset), so a content provider can stop at once; streams also end when
//     the server stops.
//   * The listening socket has no SO_REUSEPORT (a second server on the same
//     port fails to bind instead of sharing it) and a listen backlog of
//     `backlog` (cpp-httplib hard-codes 5 in the Debian library build).
// Called by ApiServer. Thread-safety: Start/Stop from one thread; handlers run
// on the pools concurrently.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"

namespace skyrun {

struct HttpLimits {
  int head_timeout_ms = 10'000;  // the whole request head must arrive within this
  int io_timeout_ms = 10'000;    // one read or write may stall no longer than this
  int body_timeout_ms = 30'000;  // the whole body must arrive within this (after the head)
  size_t max_head_bytes = 64 * 1024;
  size_t max_body_bytes = 2 * 1024 * 1024;        // a larger body is not collected (the handler answers 413)
  size_t max_buffered_bytes = 256 * 1024 * 1024;  // all incomplete requests together
  int max_pending_connections = 4096;             // connections waiting for a head; more are closed
  int request_threads = 32;
  int stream_threads = 256;
  int backlog = 1024;
  int max_requests_per_connection = 1000;
};

class HardenedHttpServer : public httplib::Server {
 public:
  // Given the request line and headers, true when the request is a
  // long-lived stream (served on the stream pool).
  using StreamClassifier = std::function<bool(std::string_view head)>;

  HardenedHttpServer(HttpLimits limits, StreamClassifier is_stream);
  ~HardenedHttpServer() override;

  // Binds (port 0: any free port) and starts serving on a background thread.
  // Returns the bound port.
  Result<int> Start(const std::string& host, int port);
  void Shutdown();

 private:
  class Gate;
  class ConnStream;

  bool process_and_close_socket(socket_t sock) override;
  // Serves requests on a connection whose head is complete; hands it back to
  // the gate for the next request, or closes it.
  void Serve(socket_t sock, std::string request);
  void Dispatch(socket_t sock, std::string request, bool stream);

  HttpLimits limits_;
  StreamClassifier is_stream_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<httplib::ThreadPool> request_pool_;
  std::unique_ptr<httplib::ThreadPool> stream_pool_;
  std::unique_ptr<Gate> gate_;
  std::thread listen_thread_;
};

}  // namespace skyrun
