package io.canaryproxy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * A small client for etcd's v3 API through its HTTP/JSON gateway ({@code /v3/kv/range}, {@code
 * /v3/kv/txn}, {@code /v3/lease/*}, {@code /v3/watch}), served by every etcd 3.4+ on its client
 * port. Keys and values travel base64-encoded and 64-bit numbers as strings, as the gateway writes
 * them. Requests go to the endpoint that answered last; when it fails, the same call tries the next
 * ones, so the store is unreachable ({@link IOException}) only when no endpoint answers within
 * {@code timeout}, the most any call blocks ({@link EtcdGateway}: endpoints, authentication, the
 * HTTP client).
 */
final class EtcdClient implements AutoCloseable {
  private static final ObjectMapper JSON = EtcdGateway.JSON;
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder UNB64 = Base64.getDecoder();

  private final EtcdGateway gateway;

  /** Told of every unary call: its duration and whether it succeeded. */
  interface CallListener {
    void onCall(long nanos, boolean ok);
  }

  /** One key-value pair with its revisions; {@code lease} is 0 when none. */
  record Kv(String key, byte[] value, long createRevision, long modRevision, long lease) {}

  /** A read: the store's revision when it answered, and the pairs found. */
  record Range(long revision, List<Kv> kvs) {}

  /** One change seen by a watch; {@code deleted} for a delete (or a lease expiry). */
  record Event(Kv kv, boolean deleted) {}

  /**
   * An etcd user and password: the client authenticates ({@code /v3/auth/authenticate}) before its
   * first call and again when etcd says the token is no longer valid (HTTP 401).
   */
  record Credentials(String user, String password) {
    @Override
    public String toString() {
      return "Credentials[" + user + "]"; // never the password
    }
  }

  EtcdClient(List<URI> endpoints, Duration timeout, CallListener calls) {
    this(endpoints, timeout, calls, null);
  }

  /** A client that authenticates with {@code credentials} unless {@code null}. */
  EtcdClient(List<URI> endpoints, Duration timeout, CallListener calls, Credentials credentials) {
    this(endpoints, timeout, calls, credentials, null);
  }

  /**
   * A client that authenticates with {@code credentials} unless {@code null}, and speaks TLS to
   * {@code https://} endpoints with {@code tls} (else the JDK's default context).
   */
  EtcdClient(
      List<URI> endpoints,
      Duration timeout,
      CallListener calls,
      Credentials credentials,
      SSLContext tls) {
    this.gateway = new EtcdGateway(endpoints, timeout, calls, credentials, tls);
  }

  /** The value of {@code key}, or an empty range. */
  Range get(String key) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("key", b64(key));
    return range(call("/v3/kv/range", body));
  }

  /** Every pair whose key starts with {@code prefix}. */
  Range prefix(String prefix) throws IOException {
    ObjectNode body =
        JSON.createObjectNode().put("key", b64(prefix)).put("range_end", b64(prefixEnd(prefix)));
    return range(call("/v3/kv/range", body));
  }

  /** Puts {@code value} under {@code key}, attached to {@code lease} unless 0; the new revision. */
  long put(String key, byte[] value, long lease) throws IOException {
    ObjectNode body = putRequest(key, value, lease);
    return call("/v3/kv/put", body).path("header").path("revision").asLong();
  }

  /**
   * Puts {@code value} only if {@code key}'s modification revision is still {@code expected} (0:
   * only if absent).
   *
   * @return the new revision, or -1 when the key had moved on
   */
  long putIfRevision(String key, byte[] value, long expected) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("compare")
        .addObject()
        .put("key", b64(key))
        .put("target", "MOD")
        .put("result", "EQUAL")
        .put("mod_revision", expected);
    body.putArray("success").addObject().set("request_put", putRequest(key, value, 0));
    JsonNode answer = call("/v3/kv/txn", body);
    return answer.path("succeeded").asBoolean(false)
        ? answer.path("header").path("revision").asLong()
        : -1;
  }

  /** Puts {@code value} under {@code key} with {@code lease} only if the key is absent. */
  boolean putIfAbsent(String key, byte[] value, long lease) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("compare")
        .addObject()
        .put("key", b64(key))
        .put("target", "CREATE")
        .put("result", "EQUAL")
        .put("create_revision", 0);
    body.putArray("success").addObject().set("request_put", putRequest(key, value, lease));
    return call("/v3/kv/txn", body).path("succeeded").asBoolean(false);
  }

  /** Deletes every key in {@code keys}, in one transaction. */
  void delete(List<String> keys) throws IOException {
    if (keys.isEmpty()) {
      return;
    }
    ObjectNode body = JSON.createObjectNode();
    body.putArray("compare");
    ArrayNode ops = body.putArray("success");
    for (String key : keys) {
      ops.addObject().putObject("request_delete_range").put("key", b64(key));
    }
    call("/v3/kv/txn", body);
  }

  /** A new lease of {@code ttl} (whole seconds, at least 1); its id. */
  long grant(Duration ttl) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("TTL", Math.max(1, ttl.toSeconds()));
    return call("/v3/lease/grant", body).path("ID").asLong();
  }

  /** Renews {@code lease}; false when it has expired (its keys are gone). */
  boolean keepAlive(long lease) throws IOException {
    JsonNode answer = call("/v3/lease/keepalive", JSON.createObjectNode().put("ID", lease));
    return answer.path("result").path("TTL").asLong(0) > 0;
  }

  /** Ends {@code lease} now, deleting its keys. */
  void revoke(long lease) throws IOException {
    call("/v3/lease/revoke", JSON.createObjectNode().put("ID", lease));
  }

  /** How many times this client has authenticated (0 without credentials). */
  int authentications() {
    return gateway.authentications();
  }

  /** The endpoint requests go to now. */
  URI endpoint() {
    return gateway.endpoint();
  }

  /**
   * Watches keys from {@code from} (inclusive) up to {@code to} (exclusive), from revision {@code
   * start}, handing each batch of events to {@code events} until the stream ends or breaks (a
   * member that dies takes its streams with it): then it returns, and the caller watches again from
   * the next revision, on the next endpoint. Blocks the calling thread: run it on a thread of its
   * own, and {@link InputStream#close()} the stream handed to {@code opened} to stop it.
   *
   * @throws IOException when no endpoint accepts the watch, or etcd cancels it
   */
  void watch(
      String from,
      String to,
      long start,
      Consumer<InputStream> opened,
      Consumer<List<Event>> events)
      throws IOException, InterruptedException {
    ObjectNode create = JSON.createObjectNode();
    create
        .putObject("create_request")
        .put("key", b64(from))
        .put("range_end", b64(to))
        .put("start_revision", start);
    byte[] body = JSON.writeValueAsBytes(create);
    EtcdGateway.Stream stream = gateway.openStream("/v3/watch", body);
    HttpResponse<InputStream> response = stream.response();
    try (InputStream in = response.body();
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      if (response.statusCode() != 200) {
        if (response.statusCode() == 401) {
          gateway.tokenRejected(); // authenticate again on the next try
        }
        throw new IOException("etcd watch: HTTP " + response.statusCode());
      }
      opened.accept(in);
      String line;
      while ((line = readLine(reader)) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode result = JSON.readTree(line).path("result");
        if (result.path("canceled").asBoolean(false)) {
          throw new IOException("etcd watch canceled: " + result.path("cancel_reason").asText());
        }
        List<Event> batch = new ArrayList<>();
        for (JsonNode e : result.path("events")) {
          batch.add(new Event(kv(e.path("kv")), "DELETE".equals(e.path("type").asText())));
        }
        if (!batch.isEmpty()) {
          events.accept(batch);
        }
      }
    }
    gateway.failover(
        stream
            .endpoint()); // the member ended the stream (going away?): watch again on the next one
  }

  /** The next line of a watch stream, or {@code null} when the stream ended or broke. */
  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      return null; // a broken stream says nothing of the other members
    }
  }

  @Override
  public void close() {
    gateway.close();
  }

  private JsonNode call(String path, ObjectNode body) throws IOException {
    return gateway.call(path, body);
  }

  private static ObjectNode putRequest(String key, byte[] value, long lease) {
    ObjectNode put =
        JSON.createObjectNode().put("key", b64(key)).put("value", B64.encodeToString(value));
    if (lease != 0) {
      put.put("lease", lease);
    }
    return put;
  }

  private static Range range(JsonNode answer) {
    List<Kv> kvs = new ArrayList<>();
    for (JsonNode kv : answer.path("kvs")) {
      kvs.add(kv(kv));
    }
    return new Range(answer.path("header").path("revision").asLong(), kvs);
  }

  private static Kv kv(JsonNode kv) {
    return new Kv(
        new String(UNB64.decode(kv.path("key").asText("")), StandardCharsets.UTF_8),
        UNB64.decode(kv.path("value").asText("")),
        kv.path("create_revision").asLong(),
        kv.path("mod_revision").asLong(),
        kv.path("lease").asLong());
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The first key after every key that starts with {@code prefix} (etcd's range_end idiom). */
  static String prefixEnd(String prefix) {
    char[] c = prefix.toCharArray();
    c[c.length - 1]++;
    return new String(c);
  }
}
