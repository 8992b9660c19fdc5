package io.canaryproxy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * The way to etcd's HTTP/JSON gateway for {@link EtcdClient}: which endpoint requests go to (the
 * one that answered last, then the next ones when it fails), authentication ({@code
 * /v3/auth/authenticate} before the first call and again after a 401), the HTTP client and its
 * threads, and the timing of every unary call.
 */
final class EtcdGateway implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final List<URI> endpoints;
  private final Duration timeout;
  private final ExecutorService executor;
  private final HttpClient http;
  private final EtcdClient.CallListener calls;
  private final EtcdClient.Credentials credentials;
  private final AtomicInteger current = new AtomicInteger();
  private volatile String token;
  private final AtomicInteger authentications = new AtomicInteger();

  /** A stream that an endpoint answered: its response (any status) and that endpoint's index. */
  record Stream(HttpResponse<InputStream> response, int endpoint) {}

  /**
   * @param credentials the etcd user, or {@code null} without authentication
   * @param tls the context for {@code https://} endpoints, or {@code null} for the JDK's default
   */
  EtcdGateway(
      List<URI> endpoints,
      Duration timeout,
      EtcdClient.CallListener calls,
      EtcdClient.Credentials credentials,
      SSLContext tls) {
    this.credentials = credentials;
    this.calls = Objects.requireNonNull(calls, "calls");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("endpoints: [] (expected: at least one etcd URL)");
    }
    this.endpoints = List.copyOf(endpoints);
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "canary-etcd-client");
              t.setDaemon(true);
              return t;
            });
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .executor(executor);
    if (tls != null) {
      http.sslContext(tls);
    }
    this.http = http.build();
  }

  /** How many times this client has authenticated (0 without credentials). */
  int authentications() {
    return authentications.get();
  }

  /** The endpoint requests go to now. */
  URI endpoint() {
    return endpoints.get(current.get());
  }

  /**
   * One call, on the current endpoint and then, while it fails and {@code timeout} has not passed,
   * on each of the others once. A call retried on another member after a broken connection may have
   * been applied already: puts, deletes and renewals repeat harmlessly, a compare-and-set then
   * reports a conflict (the caller re-reads), and a lease granted twice expires unused.
   */
  JsonNode call(String path, ObjectNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    boolean ok = false;
    int first = current.get();
    try {
      for (int tried = 0; ; tried++) {
        int at = (first + tried) % endpoints.size();
        try {
          JsonNode answer =
              callOnce(
                  endpoints.get(at), path, bytes, Duration.ofNanos(deadline - System.nanoTime()));
          current.set(at);
          ok = true;
          return answer;
        } catch (IOException e) {
          if (tried + 1 >= endpoints.size() || System.nanoTime() - deadline >= 0) {
            failover(at);
            throw e;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while calling etcd " + path, e);
    } finally {
      calls.onCall(System.nanoTime() - start, ok);
    }
  }

  /**
   * Opens a streamed POST of {@code body} to {@code path} on the current endpoint, else on each of
   * the others once; no timeout. The caller checks the status.
   *
   * @throws IOException when not one endpoint answered
   */
  Stream openStream(String path, byte[] body) throws IOException, InterruptedException {
    int first = current.get();
    for (int tried = 0; ; tried++) {
      int at = (first + tried) % endpoints.size();
      try {
        HttpRequest.Builder builder =
            HttpRequest.newBuilder(endpoints.get(at).resolve(path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("content-type", "application/json");
        authorize(builder);
        HttpResponse<InputStream> response =
            http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        current.set(at);
        return new Stream(response, at);
      } catch (IOException e) {
        if (tried + 1 >= endpoints.size()) {
          failover(at);
          throw e; // not one endpoint answered
        }
      }
    }
  }

  /** etcd said the token is no longer valid (HTTP 401): authenticate again before the next call. */
  void tokenRejected() {
    token = null;
  }

  /** Moves on from endpoint {@code failed}, unless another call already has. */
  void failover(int failed) {
    current.compareAndSet(failed, (failed + 1) % endpoints.size());
  }

  private JsonNode callOnce(URI endpoint, String path, byte[] bytes, Duration within)
      throws IOException, InterruptedException {
    HttpResponse<byte[]> response = send(endpoint, path, bytes, true, within);
    if (response.statusCode() == 401 && credentials != null) {
      token = null; // expired or revoked (etcd's simple tokens live --auth-token-ttl): once more
      response = send(endpoint, path, bytes, true, within);
    }
    JsonNode answer = JSON.readTree(response.body());
    if (response.statusCode() != 200) {
      throw new IOException(
          "etcd " + path + ": HTTP " + response.statusCode() + " " + answer.path("error").asText());
    }
    return answer;
  }

  private HttpResponse<byte[]> send(
      URI endpoint, String path, byte[] body, boolean authorized, Duration within)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint.resolve(path))
            .timeout(within.isNegative() || within.isZero() ? Duration.ofMillis(1) : within)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .header("content-type", "application/json");
    if (authorized) {
      authorize(request);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Adds etcd's {@code Authorization} header (a token, no scheme), authenticating first. */
  private void authorize(HttpRequest.Builder request) throws IOException, InterruptedException {
    if (credentials == null) {
      return;
    }
    String t = token;
    if (t == null) {
      byte[] body =
          JSON.writeValueAsBytes(
              JSON.createObjectNode()
                  .put("name", credentials.user())
                  .put("password", credentials.password()));
      HttpResponse<byte[]> response =
          send(endpoint(), "/v3/auth/authenticate", body, false, timeout);
      JsonNode answer = JSON.readTree(response.body());
      t = answer.path("token").asText("");
      if (response.statusCode() != 200 || t.isEmpty()) {
        throw new IOException(
            "etcd authentication as "
                + credentials.user()
                + " failed: HTTP "
                + response.statusCode()
                + " "
                + answer.path("error").asText());
      }
      token = t;
      authentications.incrementAndGet();
    }
    request.header("authorization", t);
  }

  @Override
  public void close() {
    executor.shutdownNow(); // Java 17's HttpClient has no close(); its selector thread ends with it
  }
}
