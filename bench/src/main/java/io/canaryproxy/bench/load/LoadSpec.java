package io.canaryproxy.bench.load;

import io.canaryproxy.bench.Durations;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One load run, validated: target, rate ({@link #MAX_RATE} means closed-loop), duration,
 * connections and the request to send. Build it with {@link #builder(URI)}; every setter checks its
 * argument.
 */
public record LoadSpec(
    URI uri,
    double rate,
    Duration duration,
    Duration warmup,
    int connections,
    int threads,
    String method,
    List<Map.Entry<String, String>> headers,
    byte[] body,
    UserPicker users,
    String userHeader,
    Duration timeout) {

  /** The rate value meaning closed-loop maximum throughput ({@code --rate max}). */
  public static final double MAX_RATE = Double.POSITIVE_INFINITY;

  /** The longest accepted {@code --duration}. */
  public static final Duration MAX_DURATION = Duration.ofHours(1);

  public LoadSpec {
    headers = List.copyOf(headers);
  }

  /**
   * True for {@code --rate max}: each connection sends its next request as soon as the previous one
   * completes.
   */
  public boolean closedLoop() {
    return rate == MAX_RATE;
  }

  /** Host and port taken from the URI, with port 80 when it has none. */
  public int port() {
    return uri.getPort() < 0 ? 80 : uri.getPort();
  }

  /**
   * A builder with defaults: rate max, 10s, no warmup, 16 connections, 1 thread, GET, 10s timeout.
   */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /** Builds a {@link LoadSpec}. */
  public static final class Builder {
    private final URI uri;
    private double rate = MAX_RATE;
    private Duration duration = Duration.ofSeconds(10);
    private Duration warmup = Duration.ZERO;
    private int connections = 16;
    private int threads = 1;
    private String method = "GET";
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private byte[] body;
    private UserPicker users;
    private String userHeader = "x-user-id";
    private Duration timeout = Duration.ofSeconds(10);

    private Builder(URI uri) {
      if (uri == null || !"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("URL: " + uri + " (expected: http://host[:port]/path)");
      }
      this.uri = uri;
    }

    /** Requests per second, > 0 and <= 10,000,000, or {@link #MAX_RATE}. */
    public Builder rate(double rate) {
      check(
          rate == MAX_RATE || (rate > 0 && rate <= 10_000_000),
          "rate",
          rate,
          "> 0 and <= 10000000, or max");
      this.rate = rate;
      return this;
    }

    /** The measured duration, 1ms..1h. */
    public Builder duration(Duration d) {
      check(d.toMillis() >= 1 && d.compareTo(MAX_DURATION) <= 0, "duration", d, "1ms..1h");
      this.duration = d;
      return this;
    }

    /** Load sent before the measurement starts and excluded from every result, 0..10m. */
    public Builder warmup(Duration d) {
      check(!d.isNegative() && d.compareTo(Duration.ofMinutes(10)) <= 0, "warmup", d, "0..10m");
      this.warmup = d;
      return this;
    }

    /** Keep-alive connections, 1..10000; each has at most one request outstanding. */
    public Builder connections(int n) {
      check(n >= 1 && n <= 10_000, "connections", n, "1..10000");
      this.connections = n;
      return this;
    }

    /** Event-loop threads, 1..64. */
    public Builder threads(int n) {
      check(n >= 1 && n <= 64, "threads", n, "1..64");
      this.threads = n;
      return this;
    }

    /** The HTTP method, for example GET or POST. */
    public Builder method(String m) {
      check(
          m != null && m.matches("[A-Z]{1,16}"),
          "method",
          m,
          "an upper-case HTTP method such as GET");
      this.method = m;
      return this;
    }

    /** Adds a request header. */
    public Builder header(String name, String value) {
      check(
          name != null && !name.isBlank() && value != null,
          "header",
          name + ": " + value,
          "'name: value'");
      headers.add(Map.entry(name.trim(), value.trim()));
      return this;
    }

    /** The request body sent with every request (content-length is set). */
    public Builder body(byte[] b) {
      this.body = b;
      return this;
    }

    /** Sends a user id in {@code header} on each request, picked by {@code picker}. */
    public Builder users(UserPicker picker, String header) {
      check(header != null && !header.isBlank(), "user-header", header, "a header name");
      this.users = picker;
      this.userHeader = header;
      return this;
    }

    /** Per-request timeout, 1ms..5m. */
    public Builder timeout(Duration d) {
      check(d.toMillis() >= 1 && d.compareTo(Duration.ofMinutes(5)) <= 0, "timeout", d, "1ms..5m");
      this.timeout = d;
      return this;
    }

    public LoadSpec build() {
      return new LoadSpec(
          uri,
          rate,
          duration,
          warmup,
          connections,
          threads,
          method,
          headers,
          body,
          users,
          userHeader,
          timeout);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
      if (!ok) {
        throw new IllegalArgumentException(
            name
                + ": "
                + (value instanceof Duration d ? Durations.format(d) : value)
                + " (expected: "
                + expected
                + ")");
      }
    }
  }
}
